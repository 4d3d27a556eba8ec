"""Vacancies as a resource: create (idempotent, content-versioned), get, list; reference chunks embedded at creation."""
