"""Customs' requests for camera data from an EPE (Decision I.2.2.d, I.2.3.b)."""
