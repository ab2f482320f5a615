"""Apps the worker would refuse to index."""
