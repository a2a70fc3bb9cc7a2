"""The local projection of registry events: enterprises (EPEs) and their cameras."""
