"""Notices filed at the same moment for the same detected incident: 201 or 409, never 500."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from servicekit.auth import Role

ROUNDS = 6
FILERS = 4


def test_concurrent_notices_for_one_detected_incident_end_in_201_or_409(
    client, registry, notice, tokens: Any
) -> None:
    statuses: list[int] = []
    for round_ in range(ROUNDS):
        epe_id = f"epe-race-{round_}"
        registry.epe(epe_id)
        cameras = [f"{epe_id}-cam-{i}" for i in range(FILERS)]
        for camera in cameras:
            registry.camera(camera, epe_id)
            registry.went_offline(camera, epe_id)
        headers = tokens.headers(
            subject=f"vendor-{epe_id}", roles=[Role.EPE_CLIENT], unit=None, epe_id=epe_id
        )
        start = threading.Barrier(FILERS)

        def file(camera: str, epe_id: str = epe_id, headers: dict[str, str] = headers) -> int:
            body = notice(epe_id=epe_id, camera_ids=[camera])
            start.wait()
            response = client.post(
                "/notices", json=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}
            )
            assert response.status_code in {201, 409}, response.text
            return response.status_code

        with ThreadPoolExecutor(FILERS) as pool:
            round_statuses = list(pool.map(file, cameras))
        # every camera belongs to the one detected incident: one notice links it, the rest
        # are told which incident already covers their camera
        assert sorted(round_statuses) == [201] + [409] * (FILERS - 1), round_statuses
        statuses += round_statuses
    assert statuses.count(201) == ROUNDS
