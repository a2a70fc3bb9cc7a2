"""The chunk receiver without HTTP or S3: how a chunk is cut into parts, that the pieces
reach the store unchanged and in order whatever their sizes, and that the hashes carry on."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import AsyncIterator

import pytest
from rehashes import PySha256

from evidence.packages.receiver import ChunkIncomplete, part_sizes, receive_chunk
from evidence.packages.uploads import Chunk
from evidence.storage import PartBody

MIB = 1024 * 1024


class _Store:
    """Keeps each part's bytes (joined) by number, from worker threads."""

    def __init__(self) -> None:
        self.parts: dict[int, bytes] = {}
        self.lock = threading.Lock()

    def upload_part(self, key: str, upload_id: str, number: int, data: PartBody) -> str:
        joined = b"".join(data)
        assert len(joined) == len(data)
        with self.lock:
            self.parts[number] = joined
        return f"etag-{number}"


def _chunk(start: int, length: int, size: int, state: bytes | None = None) -> Chunk:
    return Chunk("f", "k", "u", start, length, size, first_part=1, hash_state=state)


async def _stream(data: bytes, piece: int) -> AsyncIterator[bytes]:
    for offset in range(0, len(data), piece):
        yield data[offset : offset + piece]


def test_parts_meet_the_minimum_but_the_last() -> None:
    assert part_sizes(20, 8, 5) == [8, 12]  # a 4-byte tail joins the part before it
    assert part_sizes(21, 8, 5) == [8, 8, 5]
    assert part_sizes(16, 8, 5) == [8, 8]
    assert part_sizes(3, 8, 5) == [3]  # the file's last (and only) part
    assert part_sizes(0, 8, 5) == []


@pytest.mark.parametrize("piece", [1000, 64 * 1024, 3 * MIB])
async def test_pieces_reach_the_store_in_order(piece: int) -> None:
    data = os.urandom(int(2.5 * MIB) + 17)
    store = _Store()
    received = await receive_chunk(
        _stream(data, piece),
        _chunk(0, len(data), len(data)),
        store,  # type: ignore[arg-type]
        part_bytes=MIB,
        min_part_bytes=MIB // 2,
        checksum="sha256",
    )
    assert [p["number"] for p in received.parts] == [1, 2, 3]
    assert b"".join(store.parts[n] for n in sorted(store.parts)) == data
    assert received.digest == hashlib.sha256(data).digest()
    assert received.hasher.finalize() == hashlib.sha256(data).hexdigest()


async def test_the_file_hash_continues_from_the_saved_state() -> None:
    first, second = os.urandom(MIB), os.urandom(MIB)
    before = PySha256()
    before.update(first)
    received = await receive_chunk(
        _stream(second, 100_000),
        _chunk(MIB, MIB, 2 * MIB, before.serialize()),
        _Store(),  # type: ignore[arg-type]
        part_bytes=MIB,
        min_part_bytes=MIB,
        checksum=None,
    )
    assert received.digest is None
    assert received.hasher.finalize() == hashlib.sha256(first + second).hexdigest()


@pytest.mark.parametrize("extra", [-1, 1])
async def test_a_short_or_long_body_is_refused(extra: int) -> None:
    data = os.urandom(MIB)
    with pytest.raises(ChunkIncomplete):
        await receive_chunk(
            _stream(data[: len(data) + extra] if extra < 0 else data + b"x", 4096),
            _chunk(0, len(data), 2 * MIB),
            _Store(),  # type: ignore[arg-type]
            part_bytes=MIB // 4,
            min_part_bytes=MIB // 4,
            checksum="md5",
        )


class _Broken(_Store):
    def upload_part(self, key: str, upload_id: str, number: int, data: PartBody) -> str:
        if number == 2:
            raise OSError("storage went away")
        return super().upload_part(key, upload_id, number, data)


async def test_a_failed_part_fails_the_chunk() -> None:
    data = os.urandom(3 * MIB)
    with pytest.raises(OSError, match="storage went away"):
        await receive_chunk(
            _stream(data, 64 * 1024),
            _chunk(0, len(data), len(data)),
            _Broken(),  # type: ignore[arg-type]
            part_bytes=MIB,
            min_part_bytes=MIB,
            checksum=None,
        )
