"""Every router of the access service; `routers` get the bearer-token check automatically."""

from __future__ import annotations

from fastapi import APIRouter

from access.assignments import routes as assignments
from access.audit import routes as audit
from access.authority import routes as authority
from access.cameraview import routes as cameraview
from access.clients import routes as clients
from access.corrections import routes as corrections
from access.keys import routes as keys
from access.logdigest import routes as logdigest
from access.maintenance import routes as maintenance
from access.oauth import routes as oauth
from access.officers import routes as officers
from access.signin import routes as signin
from access.vault import routes as vault

public_routers: list[APIRouter] = [oauth.public, signin.public]
"""Discovery, JWKS, authorize/token/revoke/introspect (client-authenticated), sign-in."""

routers: list[APIRouter] = [
    oauth.protected,
    signin.protected,
    officers.protected,
    authority.router,
    assignments.router,
    clients.router,
    vault.router,
    cameraview.router,
    audit.router,
    keys.router,
    maintenance.router,
    logdigest.router,
    corrections.router,
]
