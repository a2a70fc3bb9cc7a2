"""Reports for a period and unit (seed 2 §4): JSON, CSV, XLSX and a printable PDF."""
