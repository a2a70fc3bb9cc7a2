"""registry: EPEs, areas, cameras, conformity, logbook and live camera health (Decision 247 I.1)."""
