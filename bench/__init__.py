"""Benchmarks: `python -m bench` prints latency, cold start and memory per Space (not part of the tests)."""
