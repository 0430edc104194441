"""`sfenv monitor`: what needs attention in each org since the last run (`service`)."""
