"""Token verification and the EPE / unit scoping rules every service relies on."""

import asyncio

import pytest

from devkit.testing.tokens import TokenFactory
from servicekit.auth import Principal, Role, TokenVerifier, ensure_epe_access
from servicekit.errors import Problem


def verify(verifier: TokenVerifier, token: str) -> dict:
    return asyncio.run(verifier.verify(token))


def test_valid_token_yields_its_claims():
    factory = TokenFactory()
    claims = verify(factory.verifier(), factory.issue(roles=[Role.EPE_CLIENT], epe_id="e1"))
    principal = Principal.from_claims(claims)
    assert principal.is_epe and principal.epe_id == "e1"


@pytest.mark.parametrize("case", ["other-key", "expired", "wrong-audience", "garbage"])
def test_invalid_tokens_are_401(case):
    factory = TokenFactory()
    token = {
        "other-key": TokenFactory().issue(),
        "expired": factory.issue(ttl=-60),
        "wrong-audience": TokenFactory(audience="elsewhere").issue(),
        "garbage": "not.a.token",
    }[case]
    with pytest.raises(Problem) as raised:
        verify(factory.verifier(), token)
    assert raised.value.status == 401


def test_keys_are_fetched_from_jwks_and_refetched_on_rotation(jwks_server):
    published, url = jwks_server
    first, second = TokenFactory(), TokenFactory()
    published["keys"] = first.jwks()["keys"]
    verifier = TokenVerifier(
        jwks_url=url, issuer=first.issuer, audience=first.audience, min_refetch_interval=0
    )
    assert verify(verifier, first.issue())["sub"] == "officer-1"
    # The access service rotates: the new key is published beside the old one.
    published["keys"] = first.jwks()["keys"] + second.jwks()["keys"]
    assert verify(verifier, second.issue(subject="after-rotation"))["sub"] == "after-rotation"
    assert verify(verifier, first.issue())["sub"] == "officer-1"


def test_the_jwks_fetch_is_traced_and_carries_the_trace_context(jwks_server):
    from opentelemetry import trace

    from servicekit.settings import ServiceSettings
    from servicekit.telemetry import setup_telemetry

    setup_telemetry(ServiceSettings(service_name="auth-test"))
    published, url = jwks_server
    factory = TokenFactory()
    published["keys"] = factory.jwks()["keys"]
    verifier = TokenVerifier(jwks_url=url, issuer=factory.issuer, audience=factory.audience)
    with trace.get_tracer("test").start_as_current_span("request") as span:
        verify(verifier, factory.issue())
        trace_id = f"{span.get_span_context().trace_id:032x}"
    assert published["last_headers"]["traceparent"].split("-")[1] == trace_id


def officer(unit="U1"):
    return Principal(subject="o", roles=frozenset({Role.SUPERVISORY_OFFICER}), unit=unit)


def test_epe_client_sees_only_itself():
    epe = Principal(subject="c", roles=frozenset({Role.EPE_CLIENT}), epe_id="e1", unit="U1")
    ensure_epe_access(epe, epe_id="e1", unit="U1")
    with pytest.raises(Problem):
        ensure_epe_access(epe, epe_id="e2", unit="U1")


def test_officer_sees_only_own_unit():
    ensure_epe_access(officer(), epe_id="e9", unit="U1")
    with pytest.raises(Problem):
        ensure_epe_access(officer(), epe_id="e9", unit="U2")
    with pytest.raises(Problem):
        ensure_epe_access(Principal(subject="x"), epe_id="e9", unit="U1")


@pytest.fixture
def jwks_server():
    """A real HTTP server publishing whatever JWKS the test puts in `published`."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    published: dict = {"keys": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            published["last_headers"] = {k.lower(): v for k, v in self.headers.items()}
            body = json.dumps({"keys": published["keys"]}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield published, f"http://127.0.0.1:{server.server_port}/jwks"
    server.shutdown()
