"""Benchmarks: `make bench` prints the figures; tests assert behaviour, not speed."""
