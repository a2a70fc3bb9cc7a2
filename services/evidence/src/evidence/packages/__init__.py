"""Evidence packages: the files an EPE uploads for a request and the sealed package."""
