"""Making, listing, revoking and opening share links.

A link is for one named recipient, until its expiry, for `max_downloads` times the package's
size in bytes served (so seeking in a video spends only what it fetches), and can be revoked.
Opening needs no customs sign-in: the token is the credential, looked up by its hash. An
expired or revoked link is gone (410), a used-up one forbidden (403), an unknown one 404.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from evidence.custody.models import CustodyAction
from evidence.custody.service import Actor, record_custody
from evidence.packages.models import Package, PackageFile
from evidence.projection.service import unit_of
from evidence.shares.events import ShareCreated, ShareRevoked
from evidence.shares.models import Share
from evidence.shares.schemas import ShareIn, SharePublic, ShareState
from evidence.shares.tokens import token_hash
from servicekit.auth import Principal
from servicekit.errors import Conflict, NotFound, Problem, field_error
from servicekit.events import add_event
from servicekit.ids import new_id

RECIPIENT_ROLE = "share_recipient"


def package_size(session: Session, package_id: str) -> int:
    """The sealed package's size in bytes (all its files)."""
    total = session.exec(
        select(func.coalesce(func.sum(PackageFile.size), 0)).where(
            PackageFile.package_id == package_id
        )
    ).one()
    return int(total)


def state_of(share: Share, now: datetime) -> ShareState:
    """Revoked before expired before exhausted: the reason a holder is told first."""
    if share.revoked_at is not None:
        return ShareState.REVOKED
    if share.expires_at <= now:
        return ShareState.EXPIRED
    if share.bytes_served >= share.bytes_allowed:
        return ShareState.EXHAUSTED
    return ShareState.ACTIVE


def to_public(share: Share, now: datetime) -> SharePublic:
    """The share as officers see it."""
    return SharePublic(**share.model_dump(exclude={"token_hash"}), state=state_of(share, now))


def create_share(
    session: Session,
    principal: Principal,
    package: Package,
    body: ShareIn,
    *,
    token: str,
    now: datetime,
    source: str | None,
    max_days: int,
) -> Share:
    """Store the share (its token's hash only), its `shared` custody record and its event."""
    if body.expires_at <= now:
        raise field_error("body.expires_at", "must be in the future")
    if body.expires_at > now + timedelta(days=max_days):
        raise field_error("body.expires_at", f"a link lasts at most {max_days} days")
    share = Share(
        id=new_id(),
        package_id=package.id,
        epe_id=package.epe_id,
        token_hash=token_hash(token),
        recipient_name=body.recipient_name,
        recipient_authority=body.recipient_authority,
        purpose=body.purpose,
        expires_at=body.expires_at,
        max_downloads=body.max_downloads,
        bytes_allowed=body.max_downloads * max(package_size(session, package.id), 1),
        created_by=principal.subject,
        created_at=now,
    )
    session.add(share)
    record_custody(
        session,
        action=CustodyAction.SHARED,
        actor=principal,
        request_id=package.request_id,
        at=now,
        source=source,
        package_id=package.id,
        details={
            "share_id": share.id,
            "recipient_name": share.recipient_name,
            "recipient_authority": share.recipient_authority,
            "expires_at": share.expires_at.isoformat(),
            "max_downloads": share.max_downloads,
        },
    )
    add_event(
        session,
        ShareCreated(
            share_id=share.id,
            package_id=package.id,
            request_id=package.request_id,
            epe_id=package.epe_id,
            unit=unit_of(session, package.epe_id),
            recipient_authority=share.recipient_authority,
            expires_at=share.expires_at,
            max_downloads=share.max_downloads,
            created_by=principal.subject,
            created_at=now,
        ),
        subject=share.id,
    )
    return share


def revoke_share(
    session: Session,
    principal: Principal,
    share: Share,
    package: Package,
    *,
    reason: str,
    now: datetime,
    source: str | None,
) -> None:
    """Withdraw a link (409 when it was already revoked); custody `share_revoked` and event."""
    if share.revoked_at is not None:
        raise Conflict("this share link is already revoked")
    share.revoked_at, share.revoked_by, share.revoke_reason = now, principal.subject, reason
    session.add(share)
    record_custody(
        session,
        action=CustodyAction.SHARE_REVOKED,
        actor=principal,
        request_id=package.request_id,
        at=now,
        source=source,
        package_id=package.id,
        details={"share_id": share.id},
    )
    add_event(
        session,
        ShareRevoked(
            share_id=share.id,
            package_id=package.id,
            epe_id=package.epe_id,
            unit=unit_of(session, package.epe_id),
            revoked_by=principal.subject,
            revoked_at=now,
        ),
        subject=share.id,
    )


_REFUSALS = {
    ShareState.REVOKED: (410, "Gone", "this share link was revoked"),
    ShareState.EXPIRED: (410, "Gone", "this share link has expired"),
    ShareState.EXHAUSTED: (403, "Forbidden", "this share link's downloads are used up"),
}


def usable_share(session: Session, token: str, now: datetime) -> tuple[Share, Package]:
    """The share the token opens and its package; 404 unknown, 410 revoked or expired, 403
    used up."""
    share = session.exec(select(Share).where(Share.token_hash == token_hash(token))).first()
    package = session.get(Package, share.package_id) if share is not None else None
    if share is None or package is None:
        raise NotFound("share link")
    state = state_of(share, now)
    if state in _REFUSALS:
        status, title, detail = _REFUSALS[state]
        raise Problem(status, title, detail)
    return share, package


def recipient(share: Share) -> Actor:
    """The share's holder as a custody actor (they have no customs account)."""
    return Actor(subject=f"share:{share.id} {share.recipient_name}"[:200], role=RECIPIENT_ROLE)


def record_opening(
    session: Session,
    share: Share,
    package: Package,
    *,
    now: datetime,
    source: str | None,
    file: PackageFile | None = None,
    details: dict[str, str] | None = None,
) -> None:
    """Count the opening and record `share_opened` (with the file and range when one is
    served)."""
    share.opened_count += 1
    share.last_opened_at = now
    session.add(share)
    record_custody(
        session,
        action=CustodyAction.SHARE_OPENED,
        actor=recipient(share),
        request_id=package.request_id,
        at=now,
        source=source,
        package_id=package.id,
        file_id=file.id if file else None,
        sha256=file.sha256 if file else None,
        details={"share_id": share.id, **(details or {})},
    )


def charge(session: Session, share_id: str, sent: int) -> None:
    """Add the bytes served to the share's count (atomic, so concurrent streams all count)."""
    session.execute(
        update(Share)
        .where(col(Share.id) == share_id)
        .values(bytes_served=col(Share.bytes_served) + sent)
    )
