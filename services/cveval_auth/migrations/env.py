from cveval_auth.adapters.tables import SCHEMA, metadata
from cveval_kit.migrations import run_env

run_env(metadata, SCHEMA)
