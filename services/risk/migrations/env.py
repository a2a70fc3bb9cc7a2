"""Alembic environment of the risk service."""

from risk.db import metadata
from servicekit.migrations import run_env

run_env(metadata)
