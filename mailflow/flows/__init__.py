"""One module per lifecycle stage; each decides and changes state."""
