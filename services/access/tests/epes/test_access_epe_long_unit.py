"""A unit code as long as the registry allows (64 characters) works end to end in access: the
registry's event is applied (not dead-lettered), the unit exists in access, a vendor client is
bound to it and its EPE stores a vault entry (SQLite and PostgreSQL, where lengths bite)."""

from __future__ import annotations

from sqlmodel import Session

from access.clients import service as clients
from access.clients.models import ClientKind, EpeBinding
from access.context import AuditContext
from servicekit.units import UNIT_MAX_LENGTH

from ..vault.test_access_vault import create_entry
from .test_access_epe_projection import REGISTERED, deliver, projection, registry_event

LONG_UNIT = "HQ-" + "X" * (UNIT_MAX_LENGTH - 3)
EPE = "EPE-LONG-UNIT"


def test_a_unit_of_the_registrys_longest_length_works_in_access(client, flows, world, app):
    assert len(LONG_UNIT) == 64
    admin = flows.officer_headers("admin")
    created = client.post("/units", json={"code": LONG_UNIT, "name": "Chi cục dài"}, headers=admin)
    assert created.status_code == 201, created.text
    deliver(app, registry_event(REGISTERED, EPE, LONG_UNIT))  # raised PermanentError before
    row = projection(app, EPE)
    assert row is not None and row.unit == LONG_UNIT
    with Session(app.state.engine) as session:
        clients.create_client(
            session,
            client_id="epe-long-unit",
            name="Vendor of a long unit",
            kind=ClientKind.EPE_VENDOR,
            epe_id=EPE,
            unit=LONG_UNIT,
            runtime=world.runtime,
            context=AuditContext.system("test"),
            now=world.runtime.clock.now(),
            secret="long-unit-secret-2024",
        )
        session.commit()
        binding = session.get(EpeBinding, EPE)
        assert binding is not None and binding.unit == LONG_UNIT
    world.accounts["long"] = {
        "client_id": "epe-long-unit",
        "client_secret": "long-unit-secret-2024",
    }
    entry = create_entry(client, flows.client_headers("long"))
    assert entry["epe_id"] == EPE and entry["unit"] == LONG_UNIT
