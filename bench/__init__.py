"""Benchmarks run by hand or by `make bench`: not part of any service, never imported by one."""
