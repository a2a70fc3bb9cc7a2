"""Refusals that must be recorded: the audit row commits even though the request fails."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import Session

from servicekit.errors import Problem


class Refusal(Exception):
    """A refused action whose audit records (already added to the session) must be kept."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail or problem.title)
        self.problem = problem


@contextmanager
def keep_refusals(session: Session) -> Iterator[None]:
    """Route helper: on a `Refusal`, commit what was recorded, then answer with its problem."""
    try:
        yield
    except Refusal as refusal:
        session.commit()
        raise refusal.problem from None
