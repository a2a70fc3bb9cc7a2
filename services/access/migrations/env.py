"""Alembic environment of the access service."""

from access.db import metadata
from access.main import MIGRATIONS_DIR  # noqa: F401  (imports every model module)
from servicekit.migrations import run_env

run_env(metadata)
