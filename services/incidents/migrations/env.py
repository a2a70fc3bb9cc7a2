"""Alembic environment of the incidents service."""

import incidents.main  # noqa: F401  (imports every table module into the metadata)
from incidents.db import metadata
from servicekit.migrations import run_env

run_env(metadata)
