"""Streaming a chunk's bytes into S3 parts, hashing them on the way.

The pieces the server reads are never copied: a part is the list of them, hashed in a
worker thread (in order, while the next part arrives) and sent to S3 as they are by
another. Memory stays flat: one part being filled and at most `parallel` being hashed or
stored (`upload_part_bytes` each, plus the S3 minimum a tail may add). The SHA-256 of the
whole file continues from the state saved after the previous chunk (`rehashes` serialises
it; no pickle), so no byte is ever read back; the chunk's own checksum (tus
`Upload-Checksum`, e.g. SHA-256 or CRC32C) is computed beside it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from rehashes import PySha256

from evidence.packages.protocol import new_checksum
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


class Pieces:
    """A part's bytes as the pieces they arrived in (sent to S3 one after another)."""

    __slots__ = ("pieces", "size")

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.size = 0

    def add(self, piece: bytes) -> None:
        self.pieces.append(piece)
        self.size += len(piece)

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.pieces)


def part_sizes(length: int, part_bytes: int, min_part_bytes: int) -> list[int]:
    """How a chunk of `length` bytes is cut: `part_bytes` each, a tail shorter than
    `min_part_bytes` joined to the part before it, so every part but the file's last meets
    the S3 minimum (the caller checked a chunk but the last holds at least that)."""
    full, tail = divmod(length, part_bytes)
    sizes = [part_bytes] * full
    if tail and sizes and tail < min_part_bytes:
        sizes[-1] += tail
    elif tail:
        sizes.append(tail)
    return sizes


class _Parts:
    """Hashes parts in order in a worker thread and stores up to `parallel` at once in
    others while the next one fills (memory: the part filling plus those in flight)."""

    def __init__(
        self, store: EvidenceStore, chunk: Chunk, checksum: str | None, parallel: int
    ) -> None:
        self.store = store
        self.chunk = chunk
        self.parallel = parallel
        self.number = chunk.first_part
        self.hasher = PySha256.deserialize(chunk.hash_state) if chunk.hash_state else PySha256()
        self.check = new_checksum(checksum) if checksum else None
        self.parts: list[dict[str, int | str]] = []
        self.in_flight: list[asyncio.Future[None]] = []
        self.hashed: asyncio.Future[None] | None = None

    def _hash(self, part: Pieces) -> None:
        for piece in part.pieces:
            self.hasher.update(piece)
            if self.check is not None:
                self.check.update(piece)

    def _store(self, number: int, part: Pieces) -> None:
        etag = self.store.upload_part(self.chunk.object_key, self.chunk.upload_id, number, part)
        self.parts.append({"number": number, "etag": etag, "size": len(part)})

    async def _hash_after(self, before: asyncio.Future[None] | None, part: Pieces) -> None:
        if before is not None:
            await before
        await asyncio.to_thread(self._hash, part)

    async def room(self) -> None:
        """Wait until another part may fill (fewer than `parallel` hashing or storing)."""
        while len(self.in_flight) >= self.parallel:
            await self.in_flight.pop(0)

    def put(self, part: Pieces) -> None:
        """Hash (after the parts before it) and store the part, without waiting."""
        self.hashed = asyncio.ensure_future(self._hash_after(self.hashed, part))
        stored = asyncio.ensure_future(asyncio.to_thread(self._store, self.number, part))
        self.in_flight.append(asyncio.ensure_future(_both(self.hashed, stored)))
        self.number += 1

    async def wait(self) -> None:
        while self.in_flight:
            await self.in_flight.pop(0)
        self.parts.sort(key=lambda p: int(p["number"]))

    async def settle(self) -> None:
        """After an error: let the parts in flight end before leaving."""
        await asyncio.gather(*self.in_flight, return_exceptions=True)
        if self.hashed is not None:
            await asyncio.gather(self.hashed, return_exceptions=True)
        self.in_flight.clear()


async def _both(hashed: asyncio.Future[None], stored: asyncio.Future[None]) -> None:
    # Both run to their end (the part's pieces are released only then); the first error wins.
    results = await asyncio.gather(hashed, stored, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


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
    """Store the chunk's bytes as S3 parts; ChunkIncomplete if the stream ends early or
    brings more than the chunk declared."""
    parts = _Parts(store, chunk, checksum, parallel)
    sizes = iter(part_sizes(chunk.length, part_bytes, min_part_bytes))
    part, want = Pieces(), next(sizes, 0)
    consumed = 0
    try:
        async for piece in stream:
            consumed += len(piece)
            if consumed > chunk.length:
                raise ChunkIncomplete("more bytes than Content-Length")
            while piece:
                take = want - part.size
                if len(piece) <= take:
                    part.add(piece)
                    piece = b""
                else:  # a piece across two parts (rare: parts are far larger than pieces)
                    part.add(piece[:take])
                    piece = piece[take:]
                if part.size == want:
                    await parts.room()
                    parts.put(part)
                    part, want = Pieces(), next(sizes, 0)
        if consumed != chunk.length:
            raise ChunkIncomplete(f"{consumed} of {chunk.length} bytes arrived")
        await parts.wait()
    finally:
        await parts.settle()
    return Received(
        parts=parts.parts,
        hasher=parts.hasher,
        digest=parts.check.digest() if parts.check is not None else None,
    )
