"""A sealed package made directly (rows and Object-Locked objects), for the tests of what
reads sealed evidence: reading, shares and the trail export need no upload to run."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from sqlmodel import Session

from evidence.custody.models import CustodyAction
from evidence.custody.service import Actor, record_custody
from evidence.packages.models import FileState, Package, PackageFile
from evidence.requests.models import EvidenceRequest, RequestState
from evidence.storage import EvidenceStore
from servicekit.auth import Role
from servicekit.ids import new_id

VIDEO = bytes(range(256)) * 4096  # 1 MiB, every byte value, so a wrong offset shows
NOTE = "Biên bản ghi hình cổng số 1".encode()


@dataclass(frozen=True)
class Sealed:
    """The ids of a sealed package of epe-1 and its two files."""

    request_id: str
    package_id: str
    video_id: str
    note_id: str


def _put(store: EvidenceStore, key: str, data: bytes, media_type: str) -> str:
    # retention from the wall clock: S3 refuses a retain-until date in the past
    store.put(key, io.BytesIO(data), len(data), media_type=media_type, now=datetime.now(UTC))
    version = store.client.stat_object(store.bucket, key).version_id
    assert version is not None
    return version


def seal_package(
    app: FastAPI, now: datetime, *, epe_id: str = "epe-1", video: bytes = VIDEO
) -> Sealed:
    """A request of `epe_id`, sealed, with a video (1 MiB unless given) and a Vietnamese note."""
    store: EvidenceStore = app.state.evidence_store
    request_id, package_id = new_id(), new_id()
    with Session(app.state.engine) as session:
        session.add(
            EvidenceRequest(
                id=request_id,
                epe_id=epe_id,
                cameras=["cam-1"],
                time_ranges=[],
                reason="Đối chiếu",
                incident_ids=[],
                warning_ids=[],
                due_working_days=5,
                due_at=now + timedelta(days=7),
                remind_at=now + timedelta(days=6),
                state=RequestState.SEALED.value,
                requested_by="officer-an",
                requested_at=now,
                updated_at=now,
            )
        )
        ids = []
        for name, data, media_type in (
            ("cam-1.mp4", video, "video/mp4"),
            ("ghi-chu.txt", NOTE, "text/plain; charset=utf-8"),
        ):
            key = f"{request_id}/{name}"
            file = PackageFile(
                id=new_id(),
                request_id=request_id,
                package_id=package_id,
                epe_id=epe_id,
                camera="cam-1",
                name=name,
                media_type=media_type,
                size=len(data),
                state=FileState.UPLOADED.value,
                sha256=hashlib.sha256(data).hexdigest(),
                object_key=key,
                version_id=_put(store, key, data, media_type),
                created_by="vendor-epe-1",
                created_at=now,
                uploaded_at=now,
                received=len(data),
            )
            session.add(file)
            ids.append(file.id)
        session.add(
            Package(
                id=package_id,
                request_id=request_id,
                epe_id=epe_id,
                manifest_key=f"{request_id}/manifest.json",
                manifest_sha256="0" * 64,
                envelope_key=f"{request_id}/manifest.dsse.json",
                key_id="test",
                sealed_by="officer-an",
                sealed_at=now,
                retain_until=now + timedelta(days=366),
            )
        )
        record_custody(
            session,
            action=CustodyAction.SEALED,
            actor=Actor("officer-an", Role.SUPERVISORY_OFFICER.value),
            request_id=request_id,
            package_id=package_id,
            at=now,
            source="10.0.0.7",
        )
        session.commit()
    return Sealed(request_id, package_id, ids[0], ids[1])
