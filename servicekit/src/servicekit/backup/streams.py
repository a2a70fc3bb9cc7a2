"""The event streams in a backup: each camwatch stream's configuration and its messages.

Messages are read with an ordered consumer from the first sequence to the last one present
when the backup starts, and written one JSON line each (subject, headers, payload in base64,
original sequence and time). A restore recreates the stream from its configuration and
publishes the messages again in order, keeping each one's `Nats-Msg-Id`, so consumers that
already saw an event (their inbox is in the restored database) do not apply it twice.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import nats
from nats.js.api import DeliverPolicy, StreamConfig
from nats.js.errors import NotFoundError

from servicekit.backup.databases import BackupError
from servicekit.events.bus import STREAM_PREFIX

FETCH_TIMEOUT = 5.0


async def export_streams(nats_url: str, target: Path) -> dict[str, dict[str, Any]]:
    """Write every camwatch stream into the directory `target`; returns per stream its count."""
    connection = await nats.connect(nats_url, connect_timeout=5, max_reconnect_attempts=1)
    try:
        js = connection.jetstream()
        written: dict[str, dict[str, Any]] = {}
        for info in await js.streams_info():
            name = info.config.name or ""
            if not name.startswith(STREAM_PREFIX):
                continue
            config = info.config.as_dict()
            (target / f"{name}.config.json").write_text(json.dumps(config, indent=1))
            count = await _export_messages(js, info, target / f"{name}.ndjson")
            written[name] = {"messages": count, "last_seq": info.state.last_seq}
        return written
    finally:
        await connection.close()


async def _export_messages(js: Any, info: Any, path: Path) -> int:
    count = 0
    with path.open("w") as out:
        if info.state.messages == 0:
            return 0
        last = info.state.last_seq
        subject = ">" if not info.config.subjects else info.config.subjects[0]
        sub = await js.subscribe(
            subject,
            stream=info.config.name,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.ALL,
        )
        try:
            while True:
                try:
                    msg = await sub.next_msg(timeout=FETCH_TIMEOUT)
                except TimeoutError as exc:
                    raise BackupError(
                        f"{info.config.name}: stream stopped short of {last}"
                    ) from exc
                meta = msg.metadata
                line = {
                    "seq": meta.sequence.stream,
                    "subject": msg.subject,
                    "time": meta.timestamp.isoformat(),
                    "headers": dict(msg.headers or {}),
                    "data": base64.b64encode(msg.data).decode(),
                }
                out.write(json.dumps(line) + "\n")
                count += 1
                if meta.sequence.stream >= last:
                    return count
        finally:
            await sub.unsubscribe()


def read_messages(path: Path) -> list[dict[str, Any]]:
    """The messages of one stream file."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


async def import_streams(nats_url: str, source: Path, names: list[str]) -> dict[str, int]:
    """Recreate the named streams of a backup and publish their messages again, in order."""
    connection = await nats.connect(nats_url, connect_timeout=5, max_reconnect_attempts=1)
    try:
        js = connection.jetstream()
        restored: dict[str, int] = {}
        for name in names:
            config_file = source / f"{name}.config.json"
            config = StreamConfig.from_response(json.loads(config_file.read_text()))
            try:
                existing = await js.stream_info(name)
            except NotFoundError:
                existing = None
            if existing is not None and existing.state.messages:
                raise BackupError(f"stream {name} already holds messages: restore into a new NATS")
            if existing is None:
                await js.add_stream(config)
            messages = read_messages(source / f"{name}.ndjson")
            for m in messages:  # one at a time: the stream keeps their order
                await js.publish(
                    m["subject"], base64.b64decode(m["data"]), headers=m["headers"] or None
                )
            restored[name] = len(messages)
        return restored
    finally:
        await connection.close()
