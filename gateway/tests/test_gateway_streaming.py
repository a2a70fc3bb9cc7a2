"""Large bodies stream through the gateway in both directions; nothing is buffered whole.

Each test makes buffering impossible rather than slow: the sender pauses after the first
megabytes until the receiver has seen bytes, so a gateway that waited for the whole body
before forwarding it would never deliver anything and the test would fail.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator

import httpx

MIB = 1024 * 1024
SIZE = 50 * MIB


def test_large_upload_streams_to_the_service(gateway, upstream, tokens, pattern) -> None:
    digest = hashlib.sha256()
    stalled = threading.Event()

    def body() -> Iterator[bytes]:
        for index in range(SIZE // MIB):
            chunk = pattern(index, MIB)
            digest.update(chunk)
            yield chunk
            if index == 2 and not upstream.upload_started.wait(20):
                stalled.set()
                return

    response = httpx.post(
        f"{gateway}/api/evidence/upload",
        headers=tokens.headers(),
        content=body(),
        timeout=60,
    )

    assert not stalled.is_set(), "the service saw nothing while the client was still sending"
    assert response.status_code == 200, response.text
    assert response.json() == {"size": SIZE, "sha256": digest.hexdigest()}


def test_large_upload_with_content_length_streams_too(gateway, upstream, tokens, pattern) -> None:
    class Sized:
        """A body of known length (sent with Content-Length) that pauses like the above."""

        def __iter__(self) -> Iterator[bytes]:
            for index in range(SIZE // MIB):
                yield pattern(index, MIB)
                if index == 2:
                    assert upstream.upload_started.wait(20), "the service saw nothing yet"

    expected = hashlib.sha256(b"".join(pattern(i, MIB) for i in range(SIZE // MIB)))
    response = httpx.post(
        f"{gateway}/api/evidence/upload",
        headers={**tokens.headers(), "Content-Length": str(SIZE)},
        content=Sized(),
        timeout=60,
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"size": SIZE, "sha256": expected.hexdigest()}


def test_large_download_streams_to_the_client(gateway, upstream, tokens, pattern) -> None:
    digest = hashlib.sha256()
    size = 0
    with httpx.stream(
        "GET",
        f"{gateway}/api/evidence/download",
        params={"size": SIZE},
        headers=tokens.headers(),
        timeout=60,
    ) as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers
        for chunk in response.iter_raw():
            if chunk:
                upstream.download_received.set()
            digest.update(chunk)
            size += len(chunk)

    expected = hashlib.sha256()
    for index in range(SIZE // MIB):
        expected.update(pattern(index, MIB))
    assert size == SIZE
    assert digest.hexdigest() == expected.hexdigest()


def test_sized_download_keeps_its_length(gateway, upstream, tokens, pattern) -> None:
    size = 3 * MIB + 17
    response = httpx.get(
        f"{gateway}/api/evidence/blob", params={"size": size}, headers=tokens.headers()
    )

    assert response.status_code == 200
    assert response.headers["content-length"] == str(size)
    assert response.content == pattern(7, size)


def test_expect_continue_upload(gateway, upstream, tokens, pattern) -> None:
    body = pattern(3, 2 * MIB)
    response = httpx.post(
        f"{gateway}/api/evidence/upload",
        headers={**tokens.headers(), "Expect": "100-continue"},
        content=body,
    )

    assert response.status_code == 200
    assert response.json() == {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}


def test_client_leaving_a_download_stops_the_service_stream(gateway, upstream, tokens) -> None:
    with httpx.stream("GET", f"{gateway}/api/evidence/endless", headers=tokens.headers()) as r:
        received = 0
        for chunk in r.iter_raw():
            received += len(chunk)
            if received > 2 * MIB:
                break
    # Leaving the block closed the client connection; the gateway must let go of the service.
    assert upstream.endless_stopped.wait(10)


def test_a_byte_range_passes_both_ways_and_streams(gateway, upstream, tokens, pattern) -> None:
    """A video player's Range reaches the service; its 206 and Content-Range come back
    unchanged (evidence files are streamed this way)."""
    size = 8 * MIB
    start, end = MIB + 5, 5 * MIB
    response = httpx.get(
        f"{gateway}/api/evidence/ranged",
        params={"size": size},
        headers={**tokens.headers(), "Range": f"bytes={start}-{end}", "If-Range": '"v1"'},
        timeout=60,
    )

    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes {start}-{end}/{size}"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["etag"] == '"v1"'
    assert response.content == pattern(3, size)[start : end + 1]


def test_a_share_link_reaches_evidence_without_a_customs_token(gateway, upstream) -> None:
    response = httpx.get(
        f"{gateway}/api/evidence/shared/TOKEN/files/F1", headers={"Range": "bytes=0-9"}
    )

    assert response.status_code == 200
    hit = response.json()
    assert hit["raw_path"] == "/shared/TOKEN/files/F1"
    assert ("range", "bytes=0-9") in [tuple(h) for h in hit["headers"]]
