"""Alembic environment of the evidence service."""

import evidence.main  # noqa: F401  (imports every table module into the metadata)
from evidence.db import metadata
from servicekit.migrations import run_env

run_env(metadata)
