"""The access service's long-lived helpers, built once per app and injected into routes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from access.crypto.envelope import Envelope
from access.crypto.hashing import Passwords
from access.crypto.keyring import FileKeyring, MasterKeyProvider, StaticKeyring
from access.db import Clock, utcnow
from access.settings import Settings
from servicekit.settings import Environment


@dataclass
class Runtime:
    """Settings, clock, master keys (envelope) and password hashing of one process."""

    settings: Settings
    envelope: Envelope
    passwords: Passwords
    clock: Clock = utcnow

    @property
    def audit_key(self) -> bytes:
        return self.settings.audit_hmac_key.get_secret_value().encode()


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
        clock=clock or utcnow,
    )


def get_runtime(request: Request) -> Runtime:
    """The runtime stored on the app."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
