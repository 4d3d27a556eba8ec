"""Starts the real servers the system needs on a laptop or in CI: PostgreSQL, NATS JetStream, Envoy, services."""
