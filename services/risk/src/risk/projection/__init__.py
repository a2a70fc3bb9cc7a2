"""The local projection of registry events: EPEs, their cameras and camera outages."""
