"""Composition root: the gateway is one ASGI app in front of five services.

`/api/...` goes straight to the raw ASGI proxy (no routing or middleware layers on the hot
path); everything else (health, readiness, the docs index and the SPA) is a small FastAPI app.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from gateway.auth import CachedTokenVerifier
from gateway.live import LiveHub
from gateway.proxy import Proxy
from gateway.ratelimit import RateLimits
from gateway.ratelimit_nats import nats_rate_limits
from gateway.servererrors import RouteTemplates, ServerErrors
from gateway.settings import DOCS_ASSETS_URL, GatewaySettings
from gateway.site import SPAFiles, docs_assets, docs_router, health_router
from servicekit.auth import TokenVerifier
from servicekit.errors import install_problem_handlers
from servicekit.heap import settle_heap
from servicekit.logging import configure_logging
from servicekit.telemetry import instrument_app, setup_telemetry


class Gateway:
    """The ASGI application uvicorn serves; `proxy` and `site` are its two halves."""

    def __init__(self, settings: GatewaySettings, proxy: Proxy, site: FastAPI) -> None:
        self.settings = settings
        self.proxy = proxy
        self.site = site

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            path: str = scope["path"]
            if path.startswith("/api/") or path == "/api":
                await self.proxy(scope, receive, send)
                return
        await self.site(scope, receive, send)


def create_app(
    settings: GatewaySettings | None = None, *, token_verifier: TokenVerifier | None = None
) -> Gateway:
    """Build the gateway; pass `token_verifier` to trust other keys than the access service's."""
    settings = settings or GatewaySettings()
    configure_logging(settings)
    setup_telemetry(settings)
    verifier = token_verifier or TokenVerifier(
        jwks_url=settings.jwks_url, issuer=settings.oidc_issuer, audience=settings.token_audience
    )
    hub = (
        LiveHub(
            nats_url=settings.nats_url,
            replicas=settings.nats_stream_replicas,
            revocation_window=settings.token_revocation_window,
            notice_window=settings.live_notice_window,
            queue_size=settings.live_queue_size,
            replay_size=settings.live_replay_size,
        )
        if settings.live_enabled
        else None
    )
    errors = (
        ServerErrors(
            RouteTemplates.from_directory(settings.openapi_contracts_dir, list(settings.upstreams)),
            hub.bus if hub is not None else None,
            flush_seconds=settings.server_errors_flush_seconds,
        )
        if settings.server_errors_enabled
        else None
    )
    proxy = Proxy(
        settings,
        tokens=CachedTokenVerifier(
            verifier,
            maxsize=settings.token_cache_size,
            revocations=hub.revocations if hub is not None else None,
        ),
        rate_limits=(
            nats_rate_limits(settings)
            if settings.rate_limit_store == "nats"
            else RateLimits(settings)
        ),
        hub=hub,
        errors=errors,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if hub is not None:
            await hub.start()
        await proxy.start()
        if errors is not None:
            await errors.start()
        if settings.gc_tuned:
            settle_heap()
        try:
            yield
        finally:
            if errors is not None:
                await errors.stop()  # the last window, while the bus is still open
            if hub is not None:
                await hub.stop()  # ends the live connections first
            await proxy.stop()

    site = FastAPI(
        title="camwatch gateway",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    site.state.settings = settings
    site.state.proxy = proxy
    install_problem_handlers(site)
    instrument_app(site)
    site.include_router(health_router(settings))
    site.include_router(docs_router(settings))
    site.mount(DOCS_ASSETS_URL, docs_assets(), name="docs-assets")
    site.mount("/", SPAFiles(settings.resolved_spa_dir, issuer=settings.oidc_issuer), name="spa")
    return Gateway(settings, proxy, site)
