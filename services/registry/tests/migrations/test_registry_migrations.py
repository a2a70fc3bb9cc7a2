"""A database migrated with Alembic protects the logbook like one built from the models."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from registry.epes.models import Epe
from registry.logbook.models import LogbookEntry
from registry.main import MIGRATIONS_DIR
from servicekit import migrations
from servicekit.db import make_engine


def test_migrated_logbook_refuses_update_and_delete(database):
    migrations.upgrade(url=database.url, schema=database.schema, migrations_dir=MIGRATIONS_DIR)
    engine = make_engine(database.url, schema=database.schema)
    now = datetime.now(UTC)
    with Session(engine) as session:
        session.add(
            Epe(
                id="e1",
                name="n",
                address="a",
                tax_code="0100109106",
                unit="u",
                investment_certificate_date=date(2023, 1, 1),
                exemption_category="I.1.3.b",
                exemption_reason="r",
                created_by="t",
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        session.add(
            LogbookEntry(
                id="l1",
                epe_id="e1",
                kind="repair",
                started_at=now,
                description="d",
                author="t",
                recorded_at=now,
            )
        )
        session.commit()
    for statement in (
        "UPDATE logbook_entries SET description = 'x'",
        "DELETE FROM logbook_entries",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    engine.dispose()
