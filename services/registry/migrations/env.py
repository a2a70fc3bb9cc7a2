"""Alembic environment of the registry service."""

from registry.models import metadata
from servicekit.migrations import run_env

run_env(metadata)
