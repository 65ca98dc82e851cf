"""The `gengo` command line: a thin adapter over the core."""
