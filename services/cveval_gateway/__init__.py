"""The ai-gateway service: the only door to the models (chat completions and embeddings)."""
