"""Camera views: customs shows an EPE's cameras to its officers without the password."""
