"""Machine clients and the built-in SPA client, as Authlib sees them (ClientMixin)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from authlib.oauth2.rfc6749 import ClientMixin, list_to_scope, scope_to_list
from sqlmodel import Session, col, or_, select

from access.audit import service as audit
from access.clients.models import ClientKind, ClientPublic, EpeBinding, OAuthClient
from access.context import AuditContext
from access.crypto.hashing import new_secret
from access.epes.service import registry_unit
from access.oauth import tokens as token_store
from access.officers.models import Unit
from access.runtime import Runtime
from servicekit.auth import Role
from servicekit.errors import Conflict, NotFound, field_error

SPA_KIND = "spa"
CLI_KIND = "cli"
DEVICE_CODE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
OIDC_SCOPES = ("openid", "profile")

ROLES_BY_KIND: dict[str, tuple[str, ...]] = {
    ClientKind.CUSTOMS_SYSTEM: (Role.CUSTOMS_SYSTEM,),
    ClientKind.EPE_VENDOR: (Role.EPE_CLIENT,),
    ClientKind.RESOURCE_SERVER: (),
}


@dataclass
class RegisteredClient(ClientMixin):  # type: ignore[misc]
    """A client as the authorization server uses it."""

    client_id: str
    kind: str
    name: str
    public: bool
    runtime: Runtime
    redirect_uris: list[str] = field(default_factory=list)
    grant_types: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    epe_id: str | None = None
    unit: str | None = None
    secret_hash: str | None = None

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return ""
        allowed = set(self.scopes)
        return str(list_to_scope([s for s in scope_to_list(scope) if s in allowed]))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        if self.public or self.secret_hash is None:
            return False
        return self.runtime.passwords.verify(self.secret_hash, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


def spa_client(runtime: Runtime) -> RegisteredClient:
    """The officer SPA: a public client (PKCE S256), defined by settings, not stored."""
    settings = runtime.settings
    return RegisteredClient(
        client_id=settings.spa_client_id,
        kind=SPA_KIND,
        name="camwatch officer SPA",
        public=True,
        runtime=runtime,
        redirect_uris=list(settings.spa_redirect_uris),
        grant_types=("authorization_code", "refresh_token"),
        scopes=OIDC_SCOPES,
    )


def cli_client(runtime: Runtime) -> RegisteredClient:
    """Command-line tools: a public client of the device authorization grant (RFC 8628),
    defined by settings like the SPA. No refresh token: a tool signs in again when needed."""
    return RegisteredClient(
        client_id=runtime.settings.cli_client_id,
        kind=CLI_KIND,
        name="camwatch command-line tools",
        public=True,
        runtime=runtime,
        grant_types=(DEVICE_CODE_GRANT_TYPE,),
    )


def registered(row: OAuthClient, runtime: Runtime) -> RegisteredClient:
    """A stored machine client as Authlib sees it."""
    return RegisteredClient(
        client_id=row.client_id,
        kind=row.kind,
        name=row.name,
        public=False,
        runtime=runtime,
        grant_types=("client_credentials",),
        roles=ROLES_BY_KIND.get(row.kind, ()),
        epe_id=row.epe_id,
        unit=row.unit,
        secret_hash=row.secret_hash,
    )


def find_client(session: Session, client_id: str, *, runtime: Runtime) -> RegisteredClient | None:
    """The SPA, the command-line client or an active machine client by id."""
    if client_id == runtime.settings.spa_client_id:
        return spa_client(runtime)
    if client_id == runtime.settings.cli_client_id:
        return cli_client(runtime)
    row = session.get(OAuthClient, client_id)
    if row is None or not row.active:
        return None
    return registered(row, runtime)


def bind_epe(session: Session, *, epe_id: str, unit: str, now: datetime) -> EpeBinding:
    """Record the unit an EPE's vendor clients are bound to. Once the registry has described the
    EPE only its unit is accepted; before that, a second, different unit is refused."""
    registered = registry_unit(session, epe_id)
    if registered is not None and registered != unit:
        raise Conflict(
            f"the registry places EPE {epe_id} under {registered}, not {unit}",
            errors=[{"field": "body.unit", "message": f"the registry says {registered}"}],
        )
    binding = session.get(EpeBinding, epe_id)
    if binding is None:
        binding = EpeBinding(epe_id=epe_id, unit=unit, created_at=now)
        session.add(binding)
        session.flush()
    elif binding.unit != unit:
        if registered != unit:
            raise Conflict(f"EPE {epe_id} is supervised by {binding.unit}, not {unit}")
        binding.unit = unit  # the registry moved the EPE; the binding follows it
        session.add(binding)
    return binding


def unit_mismatch(
    session: Session, *, kind: str, epe_id: str | None, unit: str | None
) -> str | None:
    """For an EPE vendor client bound to another unit than the registry's: the registry's unit."""
    if kind != ClientKind.EPE_VENDOR or epe_id is None:
        return None
    registered = registry_unit(session, epe_id)
    return registered if registered is not None and registered != unit else None


def public_view(session: Session, row: OAuthClient) -> ClientPublic:
    """A client as the API shows it, with the registry's unit of its EPE."""
    view = ClientPublic.model_validate(row, from_attributes=True)
    if row.kind == ClientKind.EPE_VENDOR and row.epe_id is not None:
        view.registry_unit = registry_unit(session, row.epe_id)
        view.unit_mismatch = view.registry_unit is not None and view.registry_unit != row.unit
    return view


def create_client(
    session: Session,
    *,
    client_id: str,
    name: str,
    kind: ClientKind,
    epe_id: str | None,
    unit: str | None,
    runtime: Runtime,
    context: AuditContext,
    now: datetime,
    secret: str | None = None,
) -> tuple[OAuthClient, str]:
    """A new machine client; returns its secret (stored only as an argon2id hash)."""
    taken = session.get(OAuthClient, client_id) is not None
    if taken or client_id in (runtime.settings.spa_client_id, runtime.settings.cli_client_id):
        raise Conflict(f"the client id {client_id} is taken")
    if unit is not None and session.get(Unit, unit) is None:
        raise field_error("body.unit", f"unknown customs unit {unit}")
    if kind is ClientKind.EPE_VENDOR and epe_id and unit:
        bind_epe(session, epe_id=epe_id, unit=unit, now=now)
    secret = secret or new_secret(32)
    row = OAuthClient(
        client_id=client_id,
        name=name,
        kind=kind,
        secret_hash=runtime.passwords.hash(secret),
        epe_id=epe_id,
        unit=unit,
        created_at=now,
        created_by=context.actor,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        context=context,
        action="client.created",
        target=f"client:{client_id}",
        occurred_at=now,
        details={"kind": str(kind), "epe_id": epe_id, "unit": unit},
    )
    return row, secret


def get_client(session: Session, client_id: str) -> OAuthClient:
    """A stored machine client (404 when unknown)."""
    row = session.get(OAuthClient, client_id)
    if row is None:
        raise NotFound("client")
    return row


def rotate_secret(
    session: Session, *, row: OAuthClient, runtime: Runtime, context: AuditContext, now: datetime
) -> str:
    """Issue a new secret; the old one stops working at once."""
    secret = new_secret(32)
    row.secret_hash = runtime.passwords.hash(secret)
    row.secret_rotated_at = now
    session.add(row)
    audit.record(
        session,
        context=context,
        action="client.secret_rotated",
        target=f"client:{row.client_id}",
        occurred_at=now,
    )
    return secret


def deactivate_client(
    session: Session, *, row: OAuthClient, reason: str, context: AuditContext, now: datetime
) -> None:
    """Disable a client: it can no longer obtain tokens, and those it holds are revoked."""
    row.active = False
    session.add(row)
    token_store.revoke_client_tokens(
        session, client_id=row.client_id, now=now, reason="client_deactivated"
    )
    audit.record(
        session,
        context=context,
        action="client.deactivated",
        target=f"client:{row.client_id}",
        reason=reason,
        occurred_at=now,
    )


def list_clients(
    session: Session, *, unit: str | None, after: str | None, limit: int
) -> list[OAuthClient]:
    """Machine clients of `unit` and national ones (no unit), ordered by id."""
    query = select(OAuthClient).where(
        or_(col(OAuthClient.unit) == unit, col(OAuthClient.unit).is_(None))
    )
    if after is not None:
        query = query.where(OAuthClient.client_id > after)
    return list(session.exec(query.order_by(col(OAuthClient.client_id)).limit(limit)).all())
