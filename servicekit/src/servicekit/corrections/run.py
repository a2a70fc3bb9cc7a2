"""One correction from claim to report: the steps in the order seed 2 §3 requires."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from servicekit.backup import archive
from servicekit.backup.databases import BackupError, Database
from servicekit.corrections.change import (
    CorrectionRefused,
    Outcome,
    Plan,
    apply_change,
    target_table,
)


class Access(Protocol):
    """The access service's correction routes, as the operator calls them."""

    def plan(self, correction_id: str) -> dict[str, Any]: ...
    def start(self, correction_id: str) -> dict[str, Any]: ...
    def applied(self, correction_id: str, report: dict[str, Any]) -> dict[str, Any]: ...
    def failed(self, correction_id: str, report: dict[str, Any]) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Applied:
    """The verified backup taken first and what the change did."""

    backup_id: str
    backup_folder: Path
    backup_sha256: str
    outcome: Outcome


def take_backup(database: Database, into: Path) -> tuple[str, Path, str]:
    """Back up the one service database (no streams, no keys) and verify it; returns the
    backup id, its folder and the SHA-256 of the database copy."""
    try:
        folder = archive.create(
            archive.Plan(databases=[database], nats_url=None, key_files=[]),
            into=into,
            keys_into=None,
            passphrase=None,
        )
    except OSError as exc:
        raise BackupError(f"cannot write {into}: {exc}") from exc
    archive.verify(folder)  # create verifies too; checked again right before the change
    manifest = archive.read_manifest(folder)
    entry = manifest["databases"][database.service]
    return str(manifest["backup_id"]), folder, str(entry["sha256"])


def run(
    correction_id: str,
    *,
    access: Access,
    database_for: Any,
    backup_dir: Path,
) -> Applied:
    """Fetch the plan, refuse unless approved, claim it, back up and verify, apply, report.

    `database_for(service)` gives the target's Database (the environment's, in the CLI). A
    refusal after the claim is reported to access as failed and re-raised."""
    plan = Plan.from_api(access.plan(correction_id))
    if plan.status != "approved":
        raise CorrectionRefused(f"correction {plan.id} is {plan.status}, not approved")
    database: Database = database_for(plan.service)
    access.start(plan.id)
    backup_id: str | None = None
    engine = database.engine()
    try:
        target_table(engine, database.schema, plan)  # refused before a useless backup
        backup_id, folder, sha256 = take_backup(database, backup_dir / "corrections" / plan.id)
        outcome = apply_change(engine, database.schema, plan)
    except (BackupError, CorrectionRefused) as exc:
        backup_failed = isinstance(exc, BackupError)
        reason = f"no verified backup, nothing changed: {exc}" if backup_failed else str(exc)
        access.failed(plan.id, {"reason": reason[:2000], "backup_id": backup_id})
        raise CorrectionRefused(reason) from exc
    except Exception as exc:
        access.failed(
            plan.id, {"reason": f"{type(exc).__name__}: {exc}"[:2000], "backup_id": backup_id}
        )
        raise
    finally:
        engine.dispose()
    access.applied(
        plan.id,
        {
            "backup_id": backup_id,
            "backup_sha256": sha256,
            "rows_touched": outcome.rows_touched,
            "before": outcome.before,
            "after": outcome.after,
        },
    )
    return Applied(backup_id, folder, sha256, outcome)
