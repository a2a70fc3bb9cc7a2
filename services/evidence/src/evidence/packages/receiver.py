"""Streaming a chunk's bytes into S3 parts, hashing them on the way.

Memory stays flat: one part being filled and at most `parallel` being stored
(`upload_part_bytes` each, plus the S3 minimum a tail may add). The SHA-256 of the whole
file continues from the state saved after the previous chunk (`rehashes` serialises it; no
pickle), so no byte is ever read back; the chunk's own checksum (tus `Upload-Checksum`) is
computed beside it.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from rehashes import PySha256

from evidence.packages.uploads import Chunk
from evidence.storage import EvidenceStore


class ChunkIncomplete(Exception):
    """Fewer bytes arrived than the chunk declared (the connection was lost)."""


@dataclass
class Received:
    """What a fully received chunk left: its parts, the file hasher, the chunk's digest."""

    parts: list[dict[str, int | str]] = field(default_factory=list)
    hasher: Any = None
    digest: bytes | None = None


class _Parts:
    """Hashes parts in order and stores up to `parallel` of them at once in worker threads
    while the next one fills (memory: the part filling plus those in flight)."""

    def __init__(
        self, store: EvidenceStore, chunk: Chunk, checksum: str | None, parallel: int
    ) -> None:
        self.store = store
        self.chunk = chunk
        self.parallel = parallel
        self.number = chunk.first_part
        self.hasher = PySha256.deserialize(chunk.hash_state) if chunk.hash_state else PySha256()
        self.check = hashlib.new(checksum) if checksum else None
        self.parts: list[dict[str, int | str]] = []
        self.pending: list[asyncio.Future[None]] = []

    def _hash(self, data: bytes) -> None:
        self.hasher.update(data)
        if self.check is not None:
            self.check.update(data)

    def _store(self, number: int, data: bytes) -> None:
        etag = self.store.upload_part(self.chunk.object_key, self.chunk.upload_id, number, data)
        self.parts.append({"number": number, "etag": etag, "size": len(data)})

    async def put(self, data: bytes) -> None:
        await asyncio.to_thread(self._hash, data)
        while len(self.pending) >= self.parallel:
            await self.pending.pop(0)
        self.pending.append(
            asyncio.ensure_future(asyncio.to_thread(self._store, self.number, data))
        )
        self.number += 1

    async def wait(self) -> None:
        while self.pending:
            await self.pending.pop(0)
        self.parts.sort(key=lambda p: int(p["number"]))

    async def settle(self) -> None:
        """After an error: let the parts in flight end before leaving."""
        await asyncio.gather(*self.pending, return_exceptions=True)
        self.pending.clear()


async def receive_chunk(
    stream: AsyncIterator[bytes],
    chunk: Chunk,
    store: EvidenceStore,
    *,
    part_bytes: int,
    min_part_bytes: int,
    checksum: str | None,
    parallel: int = 2,
) -> Received:
    """Store the chunk's bytes as S3 parts; ChunkIncomplete if the stream ends early.

    A part is cut at `part_bytes` only when what is left of the chunk after it is at least
    `min_part_bytes` (or nothing), so every part but the file's last meets the S3 minimum."""
    parts = _Parts(store, chunk, checksum, parallel)
    buffer = bytearray()
    consumed = 0
    try:
        async for piece in stream:
            consumed += len(piece)
            if consumed > chunk.length:
                raise ChunkIncomplete("more bytes than Content-Length")
            buffer += piece
            while len(buffer) >= part_bytes:
                left_after = len(buffer) - part_bytes + (chunk.length - consumed)
                if 0 < left_after < min_part_bytes:
                    break
                await parts.put(bytes(buffer[:part_bytes]))
                del buffer[:part_bytes]
        if consumed != chunk.length:
            raise ChunkIncomplete(f"{consumed} of {chunk.length} bytes arrived")
        if buffer:
            await parts.put(bytes(buffer))
        await parts.wait()
    finally:
        await parts.settle()
    return Received(
        parts=parts.parts,
        hasher=parts.hasher,
        digest=parts.check.digest() if parts.check is not None else None,
    )
