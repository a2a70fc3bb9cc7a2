"""What evidence knows of EPEs, cameras and officer assignments, from registry and access events."""
