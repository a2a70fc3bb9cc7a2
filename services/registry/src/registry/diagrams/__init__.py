"""diagrams domain."""
