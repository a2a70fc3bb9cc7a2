"""Alembic environment of the evidence service."""

from evidence.db import metadata
from servicekit.migrations import run_env

run_env(metadata)
