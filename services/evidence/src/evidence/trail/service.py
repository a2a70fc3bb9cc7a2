"""Building a package's custody trail export; the export itself is recorded first, so the
trail a court receives ends with who exported it."""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel import Session, col, select

from evidence.custody.models import CHAIN, CustodyAction, CustodyRecord
from evidence.custody.schemas import CustodyVerification
from evidence.custody.service import record_custody, to_public, trail, verify_chain
from evidence.packages.models import Package, PackageFile
from evidence.trail.pdf import TrailHeader, TrailLine
from evidence.trail.schemas import TrailExport
from servicekit.auth import Principal
from servicekit.chain import AnchorStore
from servicekit.errors import Problem
from servicekit.objectstore import STORAGE_ERRORS


def record_export(
    session: Session,
    principal: Principal,
    package: Package,
    *,
    form: str,
    now: datetime,
    source: str | None,
) -> None:
    """The `exported` custody record (the caller commits)."""
    record_custody(
        session,
        action=CustodyAction.EXPORTED,
        actor=principal,
        request_id=package.request_id,
        at=now,
        source=source,
        package_id=package.id,
        details={"format": form},
    )


def check_chain(session: Session, store: AnchorStore) -> CustodyVerification:
    """The whole chain checked against its key and the anchors (503 without storage)."""
    try:
        anchors = store.read(CHAIN)
    except STORAGE_ERRORS as exc:
        raise Problem(503, "Service Unavailable", "object storage is unavailable") from exc
    return verify_chain(session, anchors=anchors)


def export_json(
    session: Session,
    package: Package,
    *,
    chain: CustodyVerification,
    exported_by: str,
    now: datetime,
) -> TrailExport:
    """The trail with every record's chain fields, for independent checking."""
    return TrailExport(
        package_id=package.id,
        request_id=package.request_id,
        epe_id=package.epe_id,
        exported_by=exported_by,
        exported_at=now,
        chain=chain,
        records=[to_public(r) for r in trail(session, request_id=package.request_id)],
    )


def verdict(chain: CustodyVerification) -> str:
    """The chain check in Vietnamese, for the printed trail."""
    if chain.ok:
        return f"nguyên vẹn ({chain.records_checked} bản ghi, {chain.anchors_checked} mốc neo)"
    broken = chain.first_broken
    where = f"bản ghi số {broken.seq}" if broken and broken.seq is not None else "đầu chuỗi"
    return f"KHÔNG nguyên vẹn tại {where}: {broken.problem if broken else ''}"


def _note(record: CustodyRecord) -> str | None:
    details = json.loads(record.details)
    if not details:
        return None
    return "; ".join(f"{k}: {v}" for k, v in sorted(details.items()))


def pdf_lines(session: Session, package: Package) -> list[TrailLine]:
    """The trail's records as printed lines, files named."""
    names = dict(
        session.exec(
            select(PackageFile.id, PackageFile.name).where(
                col(PackageFile.request_id) == package.request_id
            )
        ).all()
    )
    return [
        TrailLine(
            seq=r.seq,
            at=r.at,
            action=r.action,
            actor=f"{r.actor} ({r.actor_role})",
            source=r.source,
            file=names.get(r.file_id) if r.file_id else None,
            sha256=r.sha256,
            note=_note(r),
        )
        for r in trail(session, request_id=package.request_id)
    ]


def pdf_header(
    package: Package, *, chain: CustodyVerification, exported_by: str, now: datetime
) -> TrailHeader:
    """The printed trail's heading."""
    return TrailHeader(
        package_id=package.id,
        request_id=package.request_id,
        epe_id=package.epe_id,
        exported_by=exported_by,
        exported_at=now,
        chain_verdict=verdict(chain),
    )
