"""Gate events: what EPE gate cameras read (ANPR, container OCR) and manual gate logs."""
