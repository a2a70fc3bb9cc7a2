"""Officers reading sealed evidence: view, download and stream with HTTP Range, each recorded."""
