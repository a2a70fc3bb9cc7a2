"""`python -m evidence.vendor`: the EPE vendor's upload client, with a progress bar.

It speaks tus 1.0 through the gateway like any other tus client: it finds (by file name) an
upload already started for the request and continues it from the offset the service reports,
otherwise creates one, declaring the file's SHA-256 (`Upload-Metadata` `sha256`, one read of
the file before the first byte is sent), which the service compares with its own when the
last chunk arrives; sends chunks (64 MiB by default, streamed from the file, so memory stays
flat) with their checksum (`Upload-Checksum`, CRC32C by default, `--checksum sha256` for
SHA-256); after a lost connection or a 5xx it asks the offset again and goes on from there.
If the service refuses the last chunk because the file is not the one declared (it changed
after it was hashed), the client terminates the upload (tus termination) so a rerun uploads
it anew under the same name; `terminate REQUEST NAME` abandons any unfinished upload.
Nothing is kept on disk.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import os
import time
from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from evidence.packages.protocol import new_checksum

MIB = 1024 * 1024
TUS = {"Tus-Resumable": "1.0.0"}
RETRIES = 8


class Checksum(StrEnum):
    """The chunk checksums the CLI offers (typer refuses any other)."""

    crc32c = "crc32c"
    sha256 = "sha256"


def file_sha256(path: Path) -> str:
    """The file's SHA-256 in hex."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def blocks(handle: BinaryIO, offset: int, length: int) -> Iterator[bytes]:
    """The file's bytes from `offset` in blocks of at most a MiB (a chunk is never read
    whole: the client's memory stays flat whatever the chunk size)."""
    handle.seek(offset)
    left = length
    while left:
        block = handle.read(min(MIB, left))
        if not block:
            raise typer.BadParameter("the file got shorter while it was being uploaded")
        left -= len(block)
        yield block


def chunk_checksum(algorithm: str, chunk: Iterable[bytes]) -> str:
    """`Upload-Checksum`'s value for a chunk, computed as the service computes it."""
    checksum = new_checksum(algorithm)
    for block in chunk:
        checksum.update(block)
    return f"{algorithm} {base64.b64encode(checksum.digest()).decode()}"


app = typer.Typer(add_completion=False, help=__doc__)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class Uploader:
    """One file into one request, resumably."""

    def __init__(self, client: httpx.Client, request_id: str, checksum: str = "crc32c") -> None:
        self.client = client
        self.request_id = request_id
        self.checksum = checksum

    def find(self, name: str) -> dict[str, Any] | None:
        """The request's file of this name (its id and state), or None."""
        listed = self.client.get(f"/requests/{self.request_id}/files")
        listed.raise_for_status()
        return next((row for row in listed.json()["data"] if row["name"] == name), None)

    def location(self, path: Path, *, camera: str, media_type: str) -> str:
        """The upload of this file name: an unfinished one of the request, or a new one."""
        row = self.find(path.name)
        if row is not None:
            if row["state"] != "uploading":
                raise typer.BadParameter(f"{path.name} is already uploaded")
            return f"/requests/{self.request_id}/uploads/{row['id']}"
        created = self.client.post(
            f"/requests/{self.request_id}/uploads",
            headers={
                **TUS,
                "Upload-Length": str(path.stat().st_size),
                "Upload-Metadata": f"filename {_b64(path.name)},filetype {_b64(media_type)},"
                f"camera {_b64(camera)},sha256 {_b64(file_sha256(path))}",
            },
        )
        if created.status_code != 201:
            raise typer.BadParameter(f"{created.status_code}: {created.text}")
        return (
            f"/requests/{self.request_id}/uploads/{created.headers['Location'].rsplit('/', 1)[1]}"
        )

    def offset(self, location: str) -> int:
        answer = self.client.head(location, headers=TUS)
        answer.raise_for_status()
        return int(answer.headers["Upload-Offset"])

    def terminate(self, location: str) -> httpx.Response:
        """Abandon an unfinished upload (tus termination): its name is free again (204)."""
        return self.client.delete(location, headers=TUS)

    def abandon(self, name: str) -> None:
        """Terminate the request's unfinished upload of this file name."""
        row = self.find(name)
        if row is None:
            raise typer.BadParameter(f"the request has no file named {name!r}")
        answer = self.terminate(f"/requests/{self.request_id}/uploads/{row['id']}")
        if answer.status_code != 204:
            raise typer.BadParameter(f"{answer.status_code}: {answer.text}")

    def send(self, location: str, handle: BinaryIO, offset: int, chunk_size: int) -> int:
        """One chunk from `offset`, streamed from the file after a first pass for its
        checksum; the new offset."""
        length = min(chunk_size, os.fstat(handle.fileno()).st_size - offset)
        checksum = chunk_checksum(self.checksum, blocks(handle, offset, length))
        answer = self.client.patch(
            location,
            content=blocks(handle, offset, length),
            headers={
                **TUS,
                "Content-Type": "application/offset+octet-stream",
                "Content-Length": str(length),
                "Upload-Offset": str(offset),
                "Upload-Checksum": checksum,
            },
        )
        if answer.status_code == 460 and "header.Upload-Metadata" in answer.text:
            # the whole file differs from what was declared: resending the chunk cannot help,
            # so the upload is terminated and a rerun starts it again under the same name
            terminated = self.terminate(location).status_code == 204
            raise typer.BadParameter(
                f"{answer.status_code}: {answer.text}\n"
                + (
                    "the upload was terminated: check the file (was it still being written?) "
                    "and run again to upload it anew under the same name"
                    if terminated
                    else "the upload could not be terminated; run `terminate` for it"
                )
            )
        if answer.status_code >= 500 or answer.status_code == 460:
            raise httpx.TransportError(f"{answer.status_code}: {answer.text}")
        if answer.status_code != 204:
            raise typer.BadParameter(f"{answer.status_code}: {answer.text}")
        return int(answer.headers["Upload-Offset"])


def upload_file(
    uploader: Uploader, path: Path, *, camera: str, chunk_size: int, quiet: bool = False
) -> None:
    """Upload (or finish uploading) one file, showing progress."""
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    location = uploader.location(path, camera=camera, media_type=media_type)
    size = path.stat().st_size
    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, disable=quiet) as progress, path.open("rb") as handle:
        task = progress.add_task(path.name, total=size)
        offset = uploader.offset(location)
        failures = 0
        while offset < size:
            progress.update(task, completed=offset)
            try:
                offset = uploader.send(location, handle, offset, chunk_size)
                failures = 0
            except httpx.TransportError as exc:
                failures += 1
                if failures > RETRIES:
                    raise
                progress.console.print(f"retrying after: {exc}")
                time.sleep(min(30, 2**failures))
                offset = uploader.offset(location)
        progress.update(task, completed=size)


def _token(api: str, client_id: str, client_secret: str) -> str:
    answer = httpx.post(
        f"{api}/api/access/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, client_secret),
        timeout=30,
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def _client(api: str, client_id: str, client_secret: str, timeout: httpx.Timeout) -> httpx.Client:
    """The evidence API through the gateway, with the vendor's client-credentials token."""
    return httpx.Client(
        base_url=f"{api}/api/evidence",
        headers={"Authorization": f"Bearer {_token(api, client_id, client_secret)}"},
        timeout=timeout,
    )


@app.command()
def upload(
    request_id: str = typer.Argument(..., help="the evidence request being answered"),
    files: list[Path] = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    camera: str = typer.Option(..., help="the requested camera the footage is from"),
    api: str = typer.Option("http://127.0.0.1:8000", envvar="CAMWATCH_API", help="the gateway"),
    client_id: str = typer.Option(..., envvar="CAMWATCH_CLIENT_ID"),
    client_secret: str = typer.Option(..., envvar="CAMWATCH_CLIENT_SECRET"),
    chunk_mib: int = typer.Option(
        64, min=5, help="MiB per chunk (the last may be smaller; a lost connection resends one)"
    ),
    submit: bool = typer.Option(False, help="submit the request once every file is uploaded"),
    checksum: Checksum = typer.Option(
        Checksum.crc32c, help="each chunk's Upload-Checksum: crc32c (cheap) or sha256"
    ),
    quiet: bool = typer.Option(False, help="no progress bar"),
) -> None:
    """Upload footage for a request (resumes what a previous run left unfinished)."""
    with _client(api, client_id, client_secret, httpx.Timeout(30, write=300, read=300)) as client:
        uploader = Uploader(client, request_id, checksum.value)
        for path in files:
            upload_file(uploader, path, camera=camera, chunk_size=chunk_mib * MIB, quiet=quiet)
        if submit:
            answer = client.post(f"/requests/{request_id}/submit")
            if answer.status_code != 200:
                raise typer.BadParameter(f"submit: {answer.status_code}: {answer.text}")
            typer.echo(f"sealed: package {answer.json()['package_id']}")


@app.command()
def terminate(
    request_id: str = typer.Argument(..., help="the evidence request being answered"),
    name: str = typer.Argument(..., help="the file name of the unfinished upload"),
    api: str = typer.Option("http://127.0.0.1:8000", envvar="CAMWATCH_API", help="the gateway"),
    client_id: str = typer.Option(..., envvar="CAMWATCH_CLIENT_ID"),
    client_secret: str = typer.Option(..., envvar="CAMWATCH_CLIENT_SECRET"),
) -> None:
    """Abandon an unfinished upload (a wrong file picked, a file still being written): what
    it stored is discarded and the name is free again. A complete file cannot be removed."""
    with _client(api, client_id, client_secret, httpx.Timeout(30)) as client:
        Uploader(client, request_id).abandon(name)
        typer.echo(f"terminated: {name}")


if __name__ == "__main__":
    app()
