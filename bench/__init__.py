"""Performance measurements: `make bench`, or `uv run python -m bench.run [--only NAME]`.

Each measurement prints one line, `bench <name> n=<N> seconds=<s> per_sec=<x>`.
"""
