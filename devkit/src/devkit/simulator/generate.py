"""What the simulator sends, generated from a seed alone (no I/O), so a run can be replayed and
the benchmark can drive exactly the same traffic.

A movement is one vehicle leaving an EPE's gate with a container. Most are explained by customs
data (a cleared export declaration naming the container and plate, sometimes a release and a
manifest too); a share `anomaly_share` are not, so the risk service raises warnings.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from stdnum import iso6346

from servicekit.vehicles import PROVINCE_CODES, SERIES_LETTERS

OWNER_CODES = ("CSQ", "MSK", "TGH", "EGH", "OOL", "HLX")


class Anomaly(StrEnum):
    """How a movement departs from the customs data (each raises a warning)."""

    UNCLEARED = "uncleared"  # no declaration at all: container_exit_uncleared
    OTHER_PLATE = "other_plate"  # declared with another truck: plate_not_declared


@dataclass(frozen=True)
class Movement:
    """One exit at a gate, with the customs records that explain it (none for an anomaly)."""

    epe_tax_code: str
    event: dict[str, Any]
    declarations: list[dict[str, Any]] = field(default_factory=list)
    releases: list[dict[str, Any]] = field(default_factory=list)
    manifests: list[dict[str, Any]] = field(default_factory=list)
    gps_fixes: list[dict[str, Any]] = field(default_factory=list)
    anomaly: Anomaly | None = None


def container_number(rng: random.Random) -> str:
    """A valid ISO 6346 number (owner, category U, serial, check digit)."""
    head = f"{rng.choice(OWNER_CODES)}U{rng.randrange(10**6):06d}"
    return head + str(iso6346.calc_check_digit(head))


def plate(rng: random.Random) -> str:
    """A valid Vietnamese truck plate in printed form ("51C-123.45")."""
    province = rng.choice(sorted(PROVINCE_CODES))
    number = f"{rng.randrange(10**5):05d}"
    return f"{province:02d}{rng.choice(SERIES_LETTERS)}-{number[:3]}.{number[3:]}"


class Generator:
    """Movements for gate cameras `{tax_code: camera_id}`, deterministic for (seed, salt).

    `salt` (5 digits) keeps the numbers of two runs apart (the risk service refuses a known
    number with other content); the runner derives it from the start time, tests fix it.
    """

    def __init__(
        self, gates: dict[str, str], *, seed: int, anomaly_share: float = 0.05, salt: int = 0
    ) -> None:
        if not gates:
            raise ValueError("no gate camera to simulate")
        if not 0 <= anomaly_share <= 1:
            raise ValueError("anomaly_share must be between 0 and 1")
        self.gates = dict(sorted(gates.items()))
        self.anomaly_share = anomaly_share
        self.rng = random.Random(seed)  # noqa: S311 - simulated traffic, not security
        self.seed, self.salt = seed, salt % 100_000
        self.count = 0

    def movement(self, now: datetime) -> Movement:
        """The next movement, its gate read at `now` (customs records a little before)."""
        rng = self.rng
        self.count += 1
        # past a million movements the count carries into the salt digits, so a long run
        # (the benchmark's soak) never repeats an event id or a declaration number
        salt = (self.salt + self.count // 10**6) % 100_000
        serial = f"{salt:05d}{self.count % 10**6:06d}"
        tax_code = rng.choice(list(self.gates))
        container, truck = container_number(rng), plate(rng)
        anomaly = None
        if rng.random() < self.anomaly_share:
            anomaly = rng.choice(list(Anomaly))
        event = {
            "event_id": f"sim-{self.seed}-{serial}",
            "camera_id": self.gates[tax_code],
            "direction": "exit",
            "occurred_at": now.isoformat(),
            "plate": truck,
            "container_numbers": [container],
            "confidence": round(rng.uniform(0.8, 0.99), 2),
        }
        movement = Movement(tax_code, event, anomaly=anomaly)
        gps = {
            "plate": truck,
            "at": (now - timedelta(minutes=5)).isoformat(),
            "latitude": round(rng.uniform(21.0, 21.3), 5),
            "longitude": round(rng.uniform(105.9, 106.2), 5),
        }
        movement.gps_fixes.append(gps)
        if anomaly is Anomaly.UNCLEARED:
            return movement
        declared_plate = plate(rng) if anomaly is Anomaly.OTHER_PLATE else truck
        number = f"3{serial}"
        cleared = now - timedelta(minutes=rng.randrange(10, 120))
        movement.declarations.append(
            {
                "number": number,
                "version": 1,
                "flow": "export",
                "type_code": "E52",
                "epe_tax_code": tax_code,
                "channel": rng.choice(["green", "green", "green", "yellow"]),
                "registered_at": (cleared - timedelta(minutes=30)).isoformat(),
                "cleared_at": cleared.isoformat(),
                "container_numbers": [container],
                "plates": [declared_plate],
            }
        )
        if rng.random() < 0.3:
            movement.releases.append(
                {
                    "number": f"4{serial}",
                    "declaration_number": number,
                    "epe_tax_code": tax_code,
                    "place": "Cảng Hải Phòng (mô phỏng)",
                    "released_at": (cleared + timedelta(minutes=5)).isoformat(),
                    "container_numbers": [container],
                    "plates": [declared_plate],
                }
            )
        if rng.random() < 0.3:
            movement.manifests.append(
                {
                    "number": f"5{serial}",
                    "transport": "Xe tải (mô phỏng)",
                    "epe_tax_code": tax_code,
                    "expected_at": (now + timedelta(hours=2)).isoformat(),
                    "container_numbers": [container],
                }
            )
        return movement


class CameraOutages:
    """Each camera's reported status, heartbeat after heartbeat: now and then a camera starts
    an outage (`no_signal`) lasting `length` heartbeats, long enough for the registry's fault
    grace to turn it into an outage (and risk into a blind window)."""

    def __init__(
        self, rng: random.Random, *, start_share: float, length: tuple[int, int] = (4, 12)
    ) -> None:
        self.rng, self.start_share, self.length = rng, start_share, length
        self.remaining: dict[str, int] = {}

    def statuses(self, cameras: list[str]) -> dict[str, str]:
        """The next heartbeat of `cameras`."""
        reported = {}
        for camera in sorted(cameras):
            left = self.remaining.get(camera, 0)
            if left == 0 and self.rng.random() < self.start_share:
                left = self.rng.randint(*self.length)
            self.remaining[camera] = max(0, left - 1)
            reported[camera] = "no_signal" if left > 0 else "ok"
        return reported
