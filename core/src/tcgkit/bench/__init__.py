"""Experiments run from the command line (``tcgkit bench ...``)."""
