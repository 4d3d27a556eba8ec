"""Caches in front of the model providers: embeddings (memory + PostgreSQL) and deterministic completions (memory)."""
