"""The access service's long-lived helpers, built once per app and injected into routes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from access.audit.models import CHAIN
from access.crypto.envelope import Envelope
from access.crypto.hashing import Passwords
from access.crypto.keyring import FileKeyring, MasterKeyProvider, StaticKeyring
from access.settings import Settings
from servicekit.chain import AnchorStore, ChainKey
from servicekit.clock import SYSTEM_CLOCK, Clock
from servicekit.objectstore import s3_client
from servicekit.settings import Environment


@dataclass
class Runtime:
    """Settings, clock, master keys (envelope) and password hashing of one process."""

    settings: Settings
    envelope: Envelope
    passwords: Passwords
    clock: Clock = SYSTEM_CLOCK

    @property
    def audit_key(self) -> bytes:
        return self.settings.audit_hmac_key.get_secret_value().encode()

    @cached_property
    def chain_key(self) -> ChainKey:
        """The audit chain's MAC key, derived from the audit secret (never in the database)."""
        return ChainKey(self.audit_key, chain=CHAIN)

    @cached_property
    def anchor_store(self) -> AnchorStore:
        """Where the audit chain's head is anchored (no connection is made until used)."""
        settings = self.settings
        client = s3_client(settings)
        retention = timedelta(days=settings.audit_anchor_retention_days)
        return AnchorStore(client, settings.audit_anchor_bucket, retention=retention)


def master_key_provider(settings: Settings) -> MasterKeyProvider:
    """The keyring from the environment if given, else from the key file."""
    if settings.master_keys is not None:
        return StaticKeyring.from_document(settings.master_keys.get_secret_value())
    create = settings.environment is not Environment.PRODUCTION
    return FileKeyring(settings.master_key_file, create=create)


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    provider: MasterKeyProvider | None = None,
) -> Runtime:
    """Assemble the runtime of a process (the app or the CLI)."""
    return Runtime(
        settings=settings,
        envelope=Envelope(provider or master_key_provider(settings)),
        passwords=Passwords(settings),
        clock=clock or SYSTEM_CLOCK,
    )
