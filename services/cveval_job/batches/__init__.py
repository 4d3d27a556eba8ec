"""Batches: many evaluations against one vacancy in one call, with their progress."""
