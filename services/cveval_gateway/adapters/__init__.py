"""PostgreSQL adapters of the ai-gateway (schema `gateway`)."""
