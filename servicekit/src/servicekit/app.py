"""The one way a service is assembled: errors, auth, telemetry, health, events, background work.

A service describes itself with a `ServiceSpec`; `create_service_app` is its composition root.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.routing import APIRoute
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Engine

from servicekit.auth import TokenVerifier, get_principal
from servicekit.bodylimit import BodyLimitMiddleware
from servicekit.db import make_engine
from servicekit.errors import install_problem_handlers, problem_response
from servicekit.events import EventBus, EventHandler, EventPayload, EventRuntime
from servicekit.events.revocations import RevocationList
from servicekit.inputs import clean_url
from servicekit.logging import configure_logging
from servicekit.openapi import install_openapi
from servicekit.settings import ServiceSettings
from servicekit.telemetry import (
    instrument_app,
    instrument_engine,
    setup_telemetry,
)

log = logging.getLogger(__name__)

BackgroundTask = Callable[[FastAPI, asyncio.Event], Coroutine[Any, Any, None]]
StartupStep = Callable[[FastAPI], object]
STOP_GRACE = 5.0  # seconds background tasks get to notice `stop` before they are cancelled


@dataclass
class ServiceSpec:
    """What a service is made of; each service builds one in its `main.py`."""

    title: str
    description: str
    settings: ServiceSettings
    metadata: MetaData
    routers: Sequence[APIRouter]
    public_routers: Sequence[APIRouter] = ()
    publishes: Sequence[type[EventPayload]] = ()
    subscriptions: Mapping[str, EventHandler] = field(default_factory=dict)
    background: Sequence[BackgroundTask] = ()
    body_limits: Mapping[str, int] = field(default_factory=dict)
    """Request body limits in bytes by operation id, for routes that carry more (or less)
    than `settings.max_body_bytes`."""
    startup: Sequence[StartupStep] = ()
    """Run once (in a thread) before the app serves, e.g. to create what must exist from the
    start; each step must be safe when several replicas start at once."""
    untraced_paths: Sequence[str] = ()
    """URL patterns (regular expressions searched in the URL) the app does not trace, because
    their path carries a credential (evidence share links)."""
    version: str = "0.1.0"


def operation_id(route: APIRoute) -> str:
    """Readable operation ids (the route function's name) for generated clients."""
    return route.name


def create_service_app(
    spec: ServiceSpec,
    *,
    engine: Engine | None = None,
    token_verifier: TokenVerifier | None = None,
    bus: EventBus | None = None,
) -> FastAPI:
    """Build the FastAPI app; the lifespan connects NATS, starts the relay, consumers and tasks."""
    settings = spec.settings
    configure_logging(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        for step in spec.startup:
            await asyncio.to_thread(step, app)
        runtime: EventRuntime | None = None
        if settings.events_enabled:
            runtime = EventRuntime(
                settings=settings,
                engine=app.state.engine,
                metadata=spec.metadata,
                subscriptions=spec.subscriptions,
                bus=bus,
                revocations=app.state.revocations,
            )
            await runtime.start()
        app.state.events = runtime
        tasks = [asyncio.create_task(task(app, stop)) for task in spec.background]
        try:
            yield
        finally:
            stop.set()
            if tasks:  # let work under way in threads finish before the engine goes away
                await asyncio.wait(tasks, timeout=STOP_GRACE)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if runtime is not None:
                await runtime.stop()

    app = FastAPI(
        title=spec.title,
        description=spec.description,
        version=spec.version,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        dependencies=[Depends(clean_url)],
        # The gateway serves every service's docs with assets it ships (/api/<s>/docs);
        # FastAPI's own pages would load Swagger UI from a CDN, unreachable on customs' network.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.spec = spec
    app.state.engine = engine or make_engine(
        settings.resolved_database_url, schema=settings.database_schema
    )
    app.state.token_verifier = token_verifier or TokenVerifier(
        jwks_url=settings.jwks_url, issuer=settings.oidc_issuer, audience=settings.token_audience
    )
    app.state.revocations = RevocationList()
    install_problem_handlers(app)
    app.add_middleware(
        BodyLimitMiddleware, default=settings.max_body_bytes, overrides=spec.body_limits
    )
    setup_telemetry(settings)
    instrument_app(app, untraced=spec.untraced_paths)
    instrument_engine(app.state.engine)

    for router in spec.public_routers:
        app.include_router(router)
    for router in spec.routers:
        app.include_router(router, dependencies=[Depends(get_principal)])
    app.include_router(health_router())
    install_openapi(
        app, protected=spec.routers, public=spec.public_routers, publishes=spec.publishes
    )
    return app


def health_router() -> APIRouter:
    """Liveness and readiness; readiness checks the database and the event bus."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> Any:
        app = request.app
        checks: dict[str, str] = {}
        try:
            with app.state.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception:
            checks["database"] = "unavailable"
        runtime: EventRuntime | None = app.state.events
        if runtime is not None:
            checks["events"] = "ok" if runtime.connected else "unavailable"
        if all(v == "ok" for v in checks.values()):
            return {"status": "ready", "checks": checks}
        return problem_response(503, "Service Unavailable", "not ready", checks=checks)

    return router
