"""Performance measurements, run with `python -m benchmarks` (or `make bench`): each module prints its results.

Numbers are reported, not asserted: they depend on the machine. Each benchmark runs the real components (NATS,
SQLite, PostgreSQL when one answers) the same way the test suite finds them.
"""
