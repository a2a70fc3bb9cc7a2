"""HTTP Range (RFC 9110 section 14) for one byte range of a stored file.

One range per request: a video player seeks with `bytes=N-`, a resumed download with
`bytes=N-`, a preview with `bytes=0-1023`; multipart/byteranges answers are not worth their
complexity here, so several ranges are refused like an unsatisfiable one (416 with
`Content-Range: bytes */SIZE`, as the RFC asks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from servicekit.errors import Problem

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


@dataclass(frozen=True)
class ByteRange:
    """Bytes `start` to `end` inclusive of a file of `size` bytes."""

    start: int
    end: int
    size: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    @property
    def whole(self) -> bool:
        return self.start == 0 and self.end == self.size - 1

    @property
    def content_range(self) -> str:
        return f"bytes {self.start}-{self.end}/{self.size}"


def unsatisfiable(size: int, detail: str) -> Problem:
    """416 problem naming the file's size, as RFC 9110 15.5.17 asks."""
    return Problem(
        416, "Range Not Satisfiable", detail, headers={"Content-Range": f"bytes */{size}"}
    )


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The range asked for, None for the whole file; a bad or unsatisfiable one is a 416."""
    if header is None:
        return None
    match = _RANGE.fullmatch(header.strip().replace(" ", ""))
    if match is None:
        raise unsatisfiable(size, "Range must be one range of bytes: bytes=START-END")
    first, last = match.groups()
    if not first and not last:
        raise unsatisfiable(size, "Range names no byte")
    if not first:  # a suffix: the last N bytes
        count = int(last)
        if count == 0 or size == 0:
            raise unsatisfiable(size, "Range asks for no byte")
        return ByteRange(max(size - count, 0), size - 1, size)
    start = int(first)
    end = int(last) if last else size - 1
    if end < start:
        raise unsatisfiable(size, "Range ends before it starts")
    if start >= size:
        raise unsatisfiable(size, f"Range starts past the end of the file ({size} bytes)")
    return ByteRange(start, min(end, size - 1), size)


def if_range_holds(if_range: str | None, etag: str) -> bool:
    """Whether a Range applies: no If-Range, or one naming the current (strong) ETag."""
    return if_range is None or if_range.strip() == etag
