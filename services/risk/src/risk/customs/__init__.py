"""Customs data from VNACCS-side systems: declarations, releases, notes, manifests, GPS."""
