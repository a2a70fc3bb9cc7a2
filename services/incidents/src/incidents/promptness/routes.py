"""Restoration promptness per EPE, for risk scoring and the officer's view."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from incidents.deps import ContextDep, CurrentPrincipal, SessionDep
from incidents.permissions import CanRead, ensure_epe_visible
from incidents.promptness.service import PromptnessSummary, summarise

router = APIRouter(prefix="/epes", tags=["promptness"])


@router.get("/{epe_id}/promptness", response_model=PromptnessSummary, dependencies=[CanRead])
def get_promptness(
    epe_id: Annotated[str, Path(max_length=64)],
    session: SessionDep,
    principal: CurrentPrincipal,
    ctx: ContextDep,
) -> PromptnessSummary:
    """How promptly the EPE restored its system: early, on time, late with/without extension."""
    ensure_epe_visible(session, principal, epe_id=epe_id, what="EPE")
    return summarise(session, ctx, epe_id=epe_id)
