"""Idempotent writes under concurrency: a unique-key race is retried once.

Ingestion looks a record up by its natural key before inserting it; two requests carrying the
same record at once both miss it, and the second insert breaks the unique key. Running the
work again after a rollback sees the other request's row, so the resend answers as a resend.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

T = TypeVar("T")


def commit_once(session: Session, work: Callable[[], T]) -> T:
    """Run `work` and commit; on a unique-key race, roll back and run it once more."""
    try:
        result = work()
        session.commit()
    except IntegrityError:
        session.rollback()
        result = work()
        session.commit()
    return result
