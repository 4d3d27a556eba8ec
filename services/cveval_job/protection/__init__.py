"""Data protection: deleting a candidate's data across the services, per-tenant retention, the audit log."""
