"""The committed contracts are exactly what the code generates (`make contracts` fixes a diff)."""

import json
from pathlib import Path

import pytest

from devkit.contracts import differences, generate
from servicekit.services import SERVICES


@pytest.fixture(scope="module")
def files() -> dict[Path, str]:
    return generate()


def test_committed_contracts_match_the_code(files):
    stale = differences(files)
    assert not stale, f"contracts differ from the code; run `make contracts`: {stale}"


def test_each_openapi_document_has_a_webhook_for_each_event_its_service_publishes(files):
    for service in SERVICES:
        document = json.loads(files[Path("openapi") / f"{service}.json"])
        events = {p.stem for p in files if p.parts[:2] == ("events", service)}
        assert set(document.get("webhooks", {})) == events, service


def test_no_schema_name_is_qualified_by_its_module(files):
    """Two models of one service with the same class name make FastAPI name both schemas by
    their module (`access__authority__models__Decision`): the SPA's generated client and every
    integrator's code would change names. Give the models names of their own."""
    for service in SERVICES:
        document = json.loads(files[Path("openapi") / f"{service}.json"])
        qualified = [name for name in document["components"]["schemas"] if "__" in name]
        assert not qualified, f"{service}: {qualified}"
