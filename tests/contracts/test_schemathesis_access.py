"""Schemathesis against the access service: no generated request may cause a server error.

The app runs in-process on a scratch SQLite database; each case is sent as an officer, a head,
an EPE client and a customs system, so authorization paths are exercised too.
"""

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings

from access.db import metadata
from access.main import create_app
from access.settings import Settings
from servicekit.settings import Environment
from servicekit.testing.contract import callers, check_case, schema_for
from servicekit.testing.tokens import TokenFactory

TOKENS = TokenFactory()
COMMON = {
    "environment": Environment.TEST,
    "database_url": f"sqlite:///{Path(tempfile.mkdtemp()) / 'access.db'}",
    "events_enabled": False,
    "log_json": False,
}
APP = create_app(Settings(**COMMON), token_verifier=TOKENS.verifier())
metadata.create_all(APP.state.engine)
CALLERS = callers(TOKENS)
schema = schema_for(APP)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_server_errors(case):
    check_case(case, CALLERS)
