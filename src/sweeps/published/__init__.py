"""Comparisons of shipped sweeps with published results (figures read from the data files)."""
