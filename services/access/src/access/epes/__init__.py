"""EPEs as the registry describes them: which customs unit supervises each one."""
