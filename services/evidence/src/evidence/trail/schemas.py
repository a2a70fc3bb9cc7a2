"""The JSON export of a package's custody trail."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from evidence.custody.schemas import CustodyRecordPublic, CustodyVerification


class TrailExport(BaseModel):
    """Every custody record of the package's request in chain order, with the whole chain's
    check at export time (MACs under the key outside the database, head against anchors)."""

    package_id: str
    request_id: str
    epe_id: str
    exported_by: str
    exported_at: datetime
    chain: CustodyVerification
    records: list[CustodyRecordPublic]
