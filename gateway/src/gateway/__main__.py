"""`python -m gateway`: serve the gateway with uvicorn (uvloop, httptools with coalesced writes,
no access log)."""

from __future__ import annotations

import uvicorn

from gateway.main import create_app
from gateway.server import CoalescingHttpToolsProtocol
from gateway.settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    uvicorn.run(
        # Several workers need an import string so each process builds its own app.
        "gateway.main:create_app" if settings.workers > 1 else create_app(settings),
        factory=settings.workers > 1,
        workers=settings.workers,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http=CoalescingHttpToolsProtocol,
        access_log=False,
        log_config=None,  # servicekit.logging configures the root logger (JSON, redaction)
        server_header=False,
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
        log_level=settings.log_level.lower(),
    )


if __name__ == "__main__":
    main()
