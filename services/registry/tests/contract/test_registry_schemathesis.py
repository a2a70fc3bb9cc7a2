"""Schemathesis against the registry with object storage reachable: no server errors.

The app runs in-process on a scratch SQLite database with a small site registered for the
contract EPE, and S3 pointed at the test S3 server (so diagram uploads exercise the real path);
every case is sent as an officer, a head, an EPE client and a customs system.
"""

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from pydantic import SecretStr

from devkit.testing.contract import (
    CONTRACT_EPE,
    CONTRACT_UNIT,
    callers,
    check_case,
    schema_for,
    scratch_dir,
)
from devkit.testing.registry import Callers, build_site
from devkit.testing.tokens import TokenFactory
from registry.main import create_app
from registry.models import metadata
from registry.settings import Settings
from servicekit.settings import Environment

TOKENS = TokenFactory()
APP = create_app(
    Settings(
        environment=Environment.TEST,
        database_url=f"sqlite:///{scratch_dir('registry') / 'registry.db'}",
        events_enabled=False,
        log_json=False,
        prober_enabled=False,
        detector_enabled=False,
    ),
    token_verifier=TOKENS.verifier(),
)
metadata.create_all(APP.state.engine)
with TestClient(APP) as _client:
    build_site(_client, Callers(TOKENS), CONTRACT_EPE, tax_code="0100233583", unit=CONTRACT_UNIT)
CALLERS = callers(TOKENS)
schema = schema_for(APP)


def _use_s3(s3) -> None:
    if getattr(APP.state, "contract_s3", None) != s3.endpoint:
        APP.state.settings = APP.state.settings.model_copy(
            update={
                "s3_endpoint": s3.endpoint,
                "s3_access_key": s3.access_key,
                "s3_secret_key": SecretStr(s3.secret_key),
                "s3_secure": s3.secure,
                "s3_bucket": "registry-contract",
            }
        )
        APP.state.diagram_store = None
        APP.state.contract_s3 = s3.endpoint


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case, s3):
    _use_s3(s3)
    check_case(case, CALLERS)
