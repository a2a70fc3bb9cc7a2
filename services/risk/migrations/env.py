"""Alembic environment of the risk service."""

import risk.main  # noqa: F401  (imports every table module into the metadata)
from risk.db import metadata
from servicekit.migrations import run_env

run_env(metadata)
