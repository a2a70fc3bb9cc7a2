"""Demo data for the dev stack: a unit, its officers (known passwords, printed TOTP secrets),
machine clients with known secrets, an assignment and one vault entry. Idempotent."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr
from sqlmodel import Session, select

from access.assignments import service as assignments
from access.authority import service as authority
from access.clients import service as clients
from access.clients.models import ClientKind, OAuthClient
from access.context import AuditContext
from access.officers import service as officers
from access.runtime import Runtime
from access.signin import enrollment
from access.vault import service as vault
from access.vault.models import AccessMethod, VaultEntry, VaultEntryCreate
from servicekit.auth import Principal, Role

DEMO_UNIT = "HQ-KCX-BN"
DEMO_UNIT_NAME = "Chi cục Hải quan Khu chế xuất Bắc Ninh (demo)"
DEMO_EPES = ("EPE-DEMO-01", "EPE-DEMO-02")


@dataclass(frozen=True)
class DemoOfficer:
    key: str
    username: str
    full_name: str
    password: str
    totp_secret: str
    roles: tuple[Role, ...]


@dataclass(frozen=True)
class DemoClient:
    key: str
    client_id: str
    name: str
    kind: ClientKind
    secret: str
    epe_id: str | None = None


OFFICERS = (
    DemoOfficer(
        "officer",
        "nguyen.van.a",
        "Nguyễn Văn A",
        "Demo officer 2024!",
        "MNQW253BORRWQLLPMZTGSY3FOIWWCIJB",
        (Role.SUPERVISORY_OFFICER,),
    ),
    DemoOfficer(
        "head",
        "tran.thi.b",
        "Trần Thị B",
        "Demo head 2024!!",
        "MNQW253BORRWQLLIMVQWILLUOJQW4LLC",
        (Role.HEAD_OF_SUBDEPARTMENT,),
    ),
    DemoOfficer(
        # A second head of the sub-department: maker-checker (scoring and selectivity versions,
        # emergency notices) needs one head to propose and another to approve.
        "deputy_head",
        "vu.thi.f",
        "Vũ Thị F",
        "Demo deputy head 2024!",
        "F5IODGDISEJN2UWFI4D2JAM2WSZE25KZ",
        (Role.HEAD_OF_SUBDEPARTMENT,),
    ),
    DemoOfficer(
        "admin",
        "le.van.c",
        "Lê Văn C",
        "Demo admin 2024!",
        "MNQW253BORRWQLLBMRWWS3RNNRSS2YZB",
        (Role.USER_ADMINISTRATOR,),
    ),
    DemoOfficer(
        "auditor",
        "pham.thi.d",
        "Phạm Thị D",
        "Demo auditor 2024!",
        "MNQW253BORRWQLLBOVSGS5DPOIWWIIJB",
        (Role.AUDITOR,),
    ),
    DemoOfficer(
        "it_operator",
        "hoang.van.e",
        "Hoàng Văn E",
        "Demo operator 2024!",
        "MNQW253BORRWQLLJORXXALLIN5QW4ZZB",
        (Role.IT_OPERATOR,),
    ),
)

CLIENTS = (
    DemoClient(
        "customs_system",
        "vnaccs-demo",
        "VNACCS (demo)",
        ClientKind.CUSTOMS_SYSTEM,
        "demo-vnaccs-secret-2024",
    ),
    DemoClient(
        "epe_vendor_1",
        "epe-demo-01-vendor",
        "EPE DEMO 01 camera vendor",
        ClientKind.EPE_VENDOR,
        "demo-epe-01-secret-2024",
        DEMO_EPES[0],
    ),
    DemoClient(
        "epe_vendor_2",
        "epe-demo-02-vendor",
        "EPE DEMO 02 camera vendor",
        ClientKind.EPE_VENDOR,
        "demo-epe-02-secret-2024",
        DEMO_EPES[1],
    ),
)


def seed_demo(
    session: Session, *, runtime: Runtime, context: AuditContext
) -> dict[str, dict[str, Any]]:
    """Create what is missing and describe every demo account (as `seed-demo` prints it)."""
    now = runtime.clock.now()
    officers.ensure_unit(session, code=DEMO_UNIT, name=DEMO_UNIT_NAME, now=now)
    accounts: dict[str, dict[str, Any]] = {}
    users = {}
    for demo in OFFICERS:
        user = officers.find_by_username(session, demo.username)
        if user is None:
            user = enrollment.provision_officer(
                session,
                username=demo.username,
                full_name=demo.full_name,
                unit=DEMO_UNIT,
                password=demo.password,
                totp_secret_value=demo.totp_secret,
                runtime=runtime,
                context=context,
                now=now,
            )
        for role in demo.roles:
            if role not in authority.active_roles(session, user):
                authority.grant_directly(
                    session,
                    user=user,
                    role=role,
                    approved_by=context.actor,
                    reason="demo data",
                    context=context,
                    now=now,
                )
        users[demo.key] = user
        accounts[demo.key] = {
            "username": demo.username,
            "password": demo.password,
            "totp_secret": demo.totp_secret,
            "name": demo.full_name,
            "unit": user.unit,
            "roles": [str(r) for r in demo.roles],
            "user_id": user.id,
        }
    for demo_client in CLIENTS:
        if session.get(OAuthClient, demo_client.client_id) is None:
            clients.create_client(
                session,
                client_id=demo_client.client_id,
                name=demo_client.name,
                kind=demo_client.kind,
                epe_id=demo_client.epe_id,
                unit=DEMO_UNIT,
                runtime=runtime,
                context=context,
                now=now,
                secret=demo_client.secret,
            )
        accounts[demo_client.key] = {
            "client_id": demo_client.client_id,
            "client_secret": demo_client.secret,
            "kind": str(demo_client.kind),
            "epe_id": demo_client.epe_id,
            "unit": DEMO_UNIT,
        }
    officer, head = users["officer"], users["head"]
    if not assignments.is_assigned(session, officer_id=officer.id, epe_id=DEMO_EPES[0]):
        assignments.assign(
            session,
            head_id=head.id,
            officer_id=officer.id,
            epe_id=DEMO_EPES[0],
            context=context,
            now=now,
        )
    accounts["officer"]["assigned_epes"] = [DEMO_EPES[0]]
    if session.exec(select(VaultEntry).where(VaultEntry.epe_id == DEMO_EPES[0])).first() is None:
        vendor = Principal(
            subject=CLIENTS[1].client_id,
            client_id=CLIENTS[1].client_id,
            roles=frozenset({Role.EPE_CLIENT}),
            unit=DEMO_UNIT,
            epe_id=DEMO_EPES[0],
        )
        vault.create_entry(
            session,
            principal=vendor,
            data=VaultEntryCreate(
                label="NVR cổng chính (demo)",
                access_method=AccessMethod.INTERNET,
                access_url=SecretStr("https://nvr.epe-demo-01.example/"),
                account=SecretStr("customs-viewer"),
                password=SecretStr(secrets.token_urlsafe(18)),
            ),
            runtime=runtime,
            context=context,
            now=now,
        )
    return accounts
