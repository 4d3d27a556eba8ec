"""Shared kit for every cveval process: settings, DB, gRPC bootstrap, JetStream, telemetry."""
