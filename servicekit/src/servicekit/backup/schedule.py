"""When backups are made and how long they are kept.

compose has no cron, and the images carry no cron daemon, so `python -m servicekit.backup
daily` is the schedule itself: it sleeps until the next run time (UTC), writes and verifies a
backup, prunes the old ones, and sleeps again; a failed backup is logged and retried at the
next run, never silently skipped. The chart runs `create --keep-days` from a CronJob instead.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from servicekit.backup.databases import BackupError

BACKUP_ID = re.compile(r"^\d{8}T\d{6}Z$")


def parse_at(value: str) -> time:
    """`HH:MM` (UTC) into a time of day; anything else is refused."""
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", value)
    if match is None:
        raise BackupError(f"--at {value!r}: expected HH:MM (UTC), e.g. 02:00")
    return time(int(match.group(1)), int(match.group(2)), tzinfo=UTC)


def next_run(now: datetime, at: time) -> datetime:
    """The first instant at `at` (UTC) strictly after `now`."""
    today = datetime.combine(now.astimezone(UTC).date(), at.replace(tzinfo=None), tzinfo=UTC)
    return today if today > now else today + timedelta(days=1)


def backup_time(folder: Path) -> datetime | None:
    """When a backup directory was made, read from its name (the backup id); None for a
    directory that is not a backup (it is never pruned)."""
    if not BACKUP_ID.match(folder.name):
        return None
    return datetime.strptime(folder.name, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def prune(
    into: Path, *, keys_into: Path | None, keep_days: int, now: datetime, keep: Path
) -> list[str]:
    """Delete the backups (and their sealed keys) older than `keep_days`, except `keep` (the
    one just written and verified): returns the backup ids removed, oldest first."""
    if keep_days < 1:
        raise BackupError("--keep-days must be at least 1")
    cutoff = now - timedelta(days=keep_days)
    removed: list[str] = []
    for folder in sorted(p for p in into.iterdir() if p.is_dir()):
        made = backup_time(folder)
        if made is None or made >= cutoff or folder.resolve() == keep.resolve():
            continue
        shutil.rmtree(folder)
        if keys_into is not None and (keys_into / folder.name).is_dir():
            shutil.rmtree(keys_into / folder.name)
        removed.append(folder.name)
    return removed
