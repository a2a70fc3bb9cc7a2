"""Run an outbox relay in its own process until the outbox is empty (used by the proof test).

    python relay_process.py <database url> <schema or ""> <nats url> <kill point or "none">

With a kill point ("claimed": rows read, nothing published; "published": acks received, rows
not marked sent) the process SIGKILLs itself there, as a crash would.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Sequence

from servicekit.db import make_engine
from servicekit.events import EventBus, OutboxRelay


def main() -> None:
    url, schema, nats_url, kill_point = sys.argv[1:5]
    engine = make_engine(url, schema=schema or None)

    def crash(point: str, ids: Sequence[str]) -> None:
        if point == kill_point and ids:
            os.kill(os.getpid(), signal.SIGKILL)

    async def drain_outbox() -> None:
        bus = EventBus(nats_url, name="relay-process")
        if not await bus.connect(within=20):
            raise SystemExit("NATS unreachable")
        relay = OutboxRelay(
            engine=engine, bus=bus, fault_hook=None if kill_point == "none" else crash
        )
        while True:
            claimed, published = await relay.run_once()
            if claimed == 0:
                break
            if published < claimed:
                await asyncio.sleep(0.2)
        await bus.close()
        print(f"relayed {relay.published_total}", flush=True)

    asyncio.run(drain_outbox())


if __name__ == "__main__":
    main()
