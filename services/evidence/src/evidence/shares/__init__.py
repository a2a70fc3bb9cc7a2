"""Share links: a sealed package handed to one named recipient of another authority."""
