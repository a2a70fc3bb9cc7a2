"""Copies of the service databases: SQLite's online backup, PostgreSQL's pg_dump of a schema.

Both run while the services serve: SQLite's backup API copies a consistent snapshot page by
page, and pg_dump reads inside one repeatable-read transaction. Table digests (row count plus
a SHA-256 over the rows in primary-key order) let a backup be checked after writing and a
restore be compared record for record with its source.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine
from sqlalchemy.engine import Engine, make_url

from servicekit.db import make_engine, normalise_url
from servicekit.settings import ServiceSettings


class BackupError(RuntimeError):
    """A copy could not be made, checked or restored; the message says which and why."""


@dataclass(frozen=True)
class Database:
    """Where one service keeps its tables."""

    service: str
    url: str
    schema: str | None

    @property
    def is_sqlite(self) -> bool:
        return normalise_url(self.url).startswith("sqlite")

    @property
    def sqlite_path(self) -> Path:
        database = make_url(normalise_url(self.url)).database
        if not database:
            raise BackupError(f"{self.service}: an in-memory SQLite database cannot be backed up")
        return Path(database)

    def engine(self) -> Engine:
        return make_engine(self.url, schema=self.schema)


def database_of(service: str) -> Database:
    """The database a service uses, read from the environment exactly as the service reads it
    (`<SERVICE>_DATABASE_URL`, then `DATABASE_URL`, else its SQLite file under var/data)."""
    settings_class: type[ServiceSettings] = type(
        f"{service.title()}BackupSettings",
        (ServiceSettings,),
        {
            "model_config": {**ServiceSettings.model_config, "env_prefix": f"{service.upper()}_"},
            "__annotations__": {"service_name": str},
            "service_name": service,
        },
    )
    settings = settings_class()
    schema = settings.database_schema
    url = settings.resolved_database_url
    if not url.startswith("sqlite") and schema is None:
        schema = service
    return Database(service, url, schema)


def _pg_url(url: str) -> str:
    """A libpq URL (pg_dump does not know SQLAlchemy's driver suffix)."""
    return (
        make_url(normalise_url(url))
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )


def dump(database: Database, target: Path) -> Path:
    """Copy the database into `target` (a directory); returns the file written."""
    target.mkdir(parents=True, exist_ok=True)
    if database.is_sqlite:
        out = target / f"{database.service}.sqlite"
        source = sqlite3.connect(f"file:{database.sqlite_path}?mode=ro", uri=True)
        copy = sqlite3.connect(out)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
        finally:
            copy.close()
            source.close()
        return out
    out = target / f"{database.service}.pgdump"
    command = ["pg_dump", "--format=custom", "--no-owner", f"--file={out}"]
    if database.schema:
        command.append(f"--schema={database.schema}")
    _run([*command, _pg_url(database.url)], what=f"pg_dump of {database.service}")
    return out


def check_dump(path: Path) -> None:
    """The copy opens and is whole: SQLite's integrity check, or pg_restore reading its TOC."""
    if path.suffix == ".sqlite":
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = connection.execute("PRAGMA integrity_check").fetchone()
        finally:
            connection.close()
        if result is None or result[0] != "ok":
            raise BackupError(f"{path.name}: integrity check failed: {result}")
        return
    _run(["pg_restore", "--list", str(path)], what=f"reading {path.name}")


def restore(path: Path, database: Database, *, replace: bool = False) -> None:
    """Put a copy back into the service's database, which must be empty unless `replace`."""
    if path.suffix == ".sqlite":
        if not database.is_sqlite:
            raise BackupError(f"{path.name} is a SQLite copy; {database.service} uses PostgreSQL")
        target = database.sqlite_path
        if target.exists() and not replace:
            raise BackupError(f"{target} exists: restore into an empty place (or --replace)")
        target.parent.mkdir(parents=True, exist_ok=True)
        for stale in (target.with_name(target.name + s) for s in ("-wal", "-shm")):
            stale.unlink(missing_ok=True)
        shutil.copyfile(path, target)
        return
    if database.is_sqlite:
        raise BackupError(f"{path.name} is a PostgreSQL dump; {database.service} uses SQLite")
    command = ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_pg_url(database.url)}"]
    if replace:
        command += ["--clean", "--if-exists"]
    _run([*command, str(path)], what=f"pg_restore of {database.service}")


def table_digests(database: Database) -> dict[str, dict[str, Any]]:
    """Each table's row count and a SHA-256 over its stored values in primary-key order (read
    raw, without column types, so a value is digested as stored; SQLite files read-only)."""
    if database.is_sqlite:
        engine = create_engine(f"sqlite:///file:{database.sqlite_path}?mode=ro&uri=true")
    else:
        engine = database.engine()
    try:
        metadata = MetaData(schema=database.schema)
        metadata.reflect(engine)
        digests: dict[str, dict[str, Any]] = {}
        with engine.connect() as connection:
            quote = connection.dialect.identifier_preparer.quote
            for table in sorted(metadata.sorted_tables, key=lambda t: t.name):
                order = list(table.primary_key.columns) or list(table.columns)
                name = (
                    quote(table.name)
                    if not table.schema
                    else f"{quote(table.schema)}.{quote(table.name)}"
                )
                sql = f"SELECT * FROM {name} ORDER BY {', '.join(quote(c.name) for c in order)}"  # noqa: S608
                digest, count = hashlib.sha256(), 0
                for row in connection.exec_driver_sql(sql):
                    digest.update(json.dumps(list(row), default=str).encode())
                    count += 1
                digests[table.name] = {"rows": count, "sha256": digest.hexdigest()}
        return digests
    finally:
        engine.dispose()


def _run(command: list[str], *, what: str) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as exc:
        raise BackupError(f"{what}: {command[0]} is not installed") from exc
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip()[-500:]}")
