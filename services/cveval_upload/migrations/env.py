from cveval_kit.migrations import run_env
from cveval_upload.adapters.tables import SCHEMA, metadata

run_env(metadata, SCHEMA)
