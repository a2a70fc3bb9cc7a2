"""Notices of interruption (Appendix II of Decision 247/QD-TCHQ) filed by an EPE."""
