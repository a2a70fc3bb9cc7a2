"""The gateway's own pages: health, aggregated readiness, the API docs index and the SPA."""

from __future__ import annotations

import asyncio
import html
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from gateway.settings import GatewaySettings
from gateway.upstream import Origin, UpstreamError, UpstreamPool
from servicekit.errors import problem_response


def health_router(settings: GatewaySettings) -> APIRouter:
    """`/healthz` (the gateway runs) and `/readyz` (every service answers its own /readyz)."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> Any:
        proxy = request.app.state.proxy
        pool: UpstreamPool = proxy.pool
        names = list(settings.upstreams)
        results = await asyncio.gather(
            *(
                _service_ready(pool, proxy.upstreams[n].origin, settings.readiness_timeout)
                for n in names
            )
        )
        services = dict(zip(names, results, strict=True))
        not_ready = [name for name, state in services.items() if state != "ready"]
        if not not_ready:
            return {"status": "ready", "services": services}
        return problem_response(
            503,
            "Service Unavailable",
            f"not ready: {', '.join(not_ready)}",
            instance="/readyz",
            services=services,
            not_ready=not_ready,
        )

    return router


async def _service_ready(pool: UpstreamPool, origin: Origin, limit: float) -> str:
    try:
        async with asyncio.timeout(limit):
            response = await pool.request(origin, "GET", b"/readyz", [], None)
            try:
                await response.read()
            finally:
                response.release()
    except TimeoutError:
        return "timed out"
    except UpstreamError:
        return "unreachable"
    return "ready" if response.status == 200 else f"not ready (HTTP {response.status})"


def docs_router(settings: GatewaySettings) -> APIRouter:
    """`/docs`: one page linking every service's API documentation."""
    router = APIRouter(tags=["docs"])
    rows = "\n".join(
        '<tr><td>{name}</td><td><a href="{p}/docs">Swagger UI</a></td>'
        '<td><a href="{p}/redoc">ReDoc</a></td>'
        '<td><a href="{p}/openapi.json">openapi.json</a></td></tr>'.format(
            name=html.escape(name), p=html.escape(f"/api/{name}")
        )
        for name in settings.upstreams
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>camwatch API documentation</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:48rem}}
td,th{{padding:.3rem 1rem;text-align:left}}</style></head>
<body><h1>camwatch API documentation</h1>
<p>Every service is reached through this gateway at <code>/api/&lt;service&gt;/</code>.
Calls need an access token from the access service
(<a href="/api/access/.well-known/openid-configuration">OIDC discovery</a>) sent as
<code>Authorization: Bearer &lt;token&gt;</code>.</p>
<table><thead><tr><th>Service</th><th colspan="3">Documentation</th></tr></thead>
<tbody>
{rows}
</tbody></table></body></html>
"""

    @router.get("/docs", response_class=HTMLResponse)
    async def docs() -> HTMLResponse:
        return HTMLResponse(page)

    return router


DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"
"""Swagger UI, ReDoc and a favicon, as the maintained `fastapi-offline` package ships them."""


def docs_assets() -> StaticFiles:
    """The files the API documentation pages load (mounted at `settings.DOCS_ASSETS_URL`)."""
    return StaticFiles(directory=DOCS_ASSETS)


SPA_HEADERS = {
    # Revalidate every file so an update reaches browsers at once (the modules are unhashed).
    "Cache-Control": "no-cache",
    # The SPA has no inline script or style and talks only to this origin.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class SPAFiles(StaticFiles):
    """Static files with the single-page-app fallback: unknown routes get `index.html`.

    A missing path whose last segment has a dot (`/assets/app.3f2a.js`) is a missing file,
    not an SPA route, and stays a 404 so a broken build shows as such. So does anything under
    `/.well-known/`: clients probe it for metadata (OIDC discovery, security.txt) and must
    not take the SPA's HTML for a document.
    """

    def __init__(self, directory: Path, *, issuer: str) -> None:
        super().__init__(directory=directory, html=True, check_dir=False)
        self.index = directory / "index.html"
        self.well_known_detail = (
            "nothing is served here; OIDC discovery is at the issuer's "
            f"{issuer.rstrip('/')}/.well-known/openid-configuration"
        )

    async def check_config(self) -> None:
        if not self.index.parent.is_dir():
            raise HTTPException(404, "the web application is not installed")

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            last = path.rsplit("/", 1)[-1]
            if exc.status_code == 404 and path.split("/", 1)[0] == ".well-known":
                raise HTTPException(404, self.well_known_detail) from None
            if exc.status_code != 404 or "." in last or not self.index.is_file():
                raise
            if scope["method"] not in ("GET", "HEAD"):
                raise
            response = FileResponse(self.index)
        response.headers.update(SPA_HEADERS)
        return response
