"""The manual gate log an EPE keeps while a gate camera is interrupted (Decision I.2.3.a)."""
