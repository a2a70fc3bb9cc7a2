"""Schemathesis against a service app in-process: every generated request, as several callers.

Each service's contract test builds its app on a fresh database and calls `check_case` for
every case; a response of 500 or more fails the test (bad input must become a 4xx problem), and
so does any status code, media type or body the OpenAPI document does not declare: integrators
generate their clients from it.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from fastapi import FastAPI
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from devkit.testing.tokens import TokenFactory
from servicekit.auth import Role


def scratch_dir(service: str) -> Path:
    """A directory for a contract test's database, removed when the test process ends.

    The app is built when the module is imported (schemathesis reads its schema then), so no
    pytest fixture can own the directory."""
    path = Path(tempfile.mkdtemp(prefix=f"{service}-contract-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


CONTRACT_UNIT = "HQ-KCX-TEST"
CONTRACT_EPE = "00000000-0000-0000-0000-0000000000e1"


def callers(tokens: TokenFactory) -> list[dict[str, str]]:
    """Authorization headers for an officer, a head, an EPE client and a customs system."""
    return [
        tokens.headers(subject="officer", roles=[Role.SUPERVISORY_OFFICER], unit=CONTRACT_UNIT),
        tokens.headers(
            subject="head",
            roles=[Role.HEAD_OF_SUBDEPARTMENT, Role.USER_ADMINISTRATOR, Role.AUDITOR],
            unit=CONTRACT_UNIT,
        ),
        tokens.headers(
            subject="epe-client", roles=[Role.EPE_CLIENT], unit=CONTRACT_UNIT, epe_id=CONTRACT_EPE
        ),
        tokens.headers(subject="vnaccs", roles=[Role.CUSTOMS_SYSTEM], unit=None),
    ]


def schema_for(app: FastAPI) -> Any:
    """The app's OpenAPI schema, served in-process."""
    return schemathesis.openapi.from_asgi("/openapi.json", app)


CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def check_case(case: Any, headers_list: list[dict[str, str]]) -> None:
    """Send the case once per caller; every answer must be declared and no server error."""
    for headers in headers_list:
        case.call_and_validate(headers=headers, checks=CHECKS)
