"""Model providers behind one Protocol: an OpenAI-compatible HTTP client and the offline engine."""
