"""Test and benchmark helpers shared by the suites (never imported by production code)."""
