"""Simulated IP cameras on loopback: JPEG snapshots and MJPEG streams behind HTTP digest auth.

Each camera draws its number, the local time and, for a few seconds after the simulator sends
a gate read, the passing truck with its plate and container number, so an officer watching the
gate camera sees the vehicle the risk service is matching. Paths (as a real camera's CGI):

    GET /cameras/<key>/snapshot.jpg   one JPEG
    GET /cameras/<key>/mjpeg          multipart/x-mixed-replace JPEG frames at `fps`

An outage makes a camera accept connections and never answer (the worst case for a viewer:
only a timeout tells it is dead).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw

REALM = "camwatch-simulated-camera"
BOUNDARY = "camwatchframe"
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
VEHICLE_SECONDS = 8.0
_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^\s,]*))')


@dataclass
class Passing:
    """A truck crossing the camera's view."""

    plate: str
    container: str | None
    since: float


@dataclass
class SimulatedCamera:
    """One camera: what it shows and whether it answers."""

    key: str
    number: str
    label: str = ""
    passing: Passing | None = None
    outage: bool = False
    frames: int = 0
    streams: int = 0
    """MJPEG connections opened so far (customs should hold one per camera)."""


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - RFC 7616 digest MD5


def digest_params(header: str) -> dict[str, str]:
    """The parameters of a `Digest ...` Authorization header."""
    return {
        m.group(1): m.group(2) if m.group(2) is not None else m.group(3)
        for m in _PARAM.finditer(header.removeprefix("Digest "))
    }


def draw_frame(camera: SimulatedCamera, now: float, *, size: tuple[int, int]) -> bytes:
    """One JPEG: camera number, local time, and the passing truck if any."""
    width, height = size
    image = Image.new("RGB", size, (54, 60, 66))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 0.62, width, height), fill=(90, 90, 84))  # the road
    stamp = datetime.fromtimestamp(now, UTC).astimezone(LOCAL).strftime("%Y-%m-%d %H:%M:%S")
    draw.text((8, 6), f"CAM {camera.number} {camera.label}", fill=(255, 255, 255))
    draw.text((8, 22), f"{stamp} ICT", fill=(255, 235, 120))
    passing = camera.passing
    if passing is not None and now - passing.since < VEHICLE_SECONDS:
        share = (now - passing.since) / VEHICLE_SECONDS
        left = int(-0.3 * width + share * 1.3 * width)
        top = int(height * 0.4)
        draw.rectangle((left, top, left + width // 3, top + height // 4), fill=(170, 60, 40))
        if passing.container:
            draw.text((left + 6, top + 6), passing.container, fill=(255, 255, 255))
        draw.rectangle(
            (left + 6, top + height // 4 - 18, left + 96, top + height // 4 - 4),
            fill=(240, 240, 240),
        )
        draw.text((left + 10, top + height // 4 - 17), passing.plate, fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=70)
    return out.getvalue()


@dataclass
class CameraSite:
    """The simulated cameras of every demo EPE, one HTTP server, one digest account each EPE.

    `accounts` maps an EPE id to its (user, password): the account its vendor stores in the
    vault, so customs' server can sign in as an officer would on the NVR's web client.
    """

    accounts: dict[str, tuple[str, str]]
    host: str = "127.0.0.1"
    port: int = 0
    fps: float = 2.0
    size: tuple[int, int] = (640, 360)
    cameras: dict[str, SimulatedCamera] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None
    _nonce_key: bytes = field(default_factory=lambda: secrets.token_bytes(16))

    @staticmethod
    def key_of(epe_id: str, number: str) -> str:
        return f"{epe_id}.{number}"

    def add(self, epe_id: str, number: str, label: str = "") -> str:
        """Serve a camera; returns its stream URL (MJPEG)."""
        key = self.key_of(epe_id, number)
        self.cameras[key] = SimulatedCamera(key, number, label)
        return self.url(key, "mjpeg")

    def url(self, key: str, kind: str = "mjpeg") -> str:
        tail = "snapshot.jpg" if kind == "snapshot" else "mjpeg"
        return f"http://{self.host}:{self.bound_port}/cameras/{key}/{tail}"

    @property
    def serving(self) -> bool:
        return self._server is not None

    @property
    def bound_port(self) -> int:
        return self._server.server_address[1] if self._server else self.port

    def vehicle_passes(self, epe_id: str, number: str, plate: str, container: str | None) -> None:
        """Show a truck at this camera for a few seconds (a gate read was just sent)."""
        camera = self.cameras.get(self.key_of(epe_id, number))
        if camera is not None:
            camera.passing = Passing(plate, container, time.time())

    def set_outage(self, epe_id: str, number: str, down: bool) -> None:
        camera = self.cameras.get(self.key_of(epe_id, number))
        if camera is not None:
            camera.outage = down

    # -- digest authentication ------------------------------------------------------------------

    def new_nonce(self) -> str:
        stamp = str(int(time.time()))
        mac = hmac.new(self._nonce_key, stamp.encode(), "sha256").hexdigest()[:24]
        return f"{stamp}.{mac}"

    def _nonce_ok(self, nonce: str) -> bool:
        stamp, _, mac = nonce.partition(".")
        good = hmac.new(self._nonce_key, stamp.encode(), "sha256").hexdigest()[:24]
        return hmac.compare_digest(mac, good) and stamp.isdigit() and time.time() - int(stamp) < 300

    def authorized(self, epe_id: str, method: str, header: str | None) -> bool:
        """RFC 7616 digest (MD5, qop=auth) with the EPE's account."""
        account = self.accounts.get(epe_id)
        if account is None or not header or not header.startswith("Digest "):
            return False
        p = digest_params(header)
        user, password = account
        if p.get("username") != user or p.get("realm") != REALM:
            return False
        if not self._nonce_ok(p.get("nonce", "")):
            return False
        ha1 = _md5(f"{user}:{REALM}:{password}")
        ha2 = _md5(f"{method}:{p.get('uri', '')}")
        if p.get("qop") == "auth":
            expected = _md5(
                f"{ha1}:{p['nonce']}:{p.get('nc', '')}:{p.get('cnonce', '')}:auth:{ha2}"
            )
        else:
            expected = _md5(f"{ha1}:{p['nonce']}:{ha2}")
        return hmac.compare_digest(expected, p.get("response", ""))

    # -- serving ----------------------------------------------------------------------------------

    def start(self) -> CameraSite:
        """Serve on a thread of its own (the first frame is drawn now: Pillow loads its font)."""
        draw_frame(SimulatedCamera("warm-up", "C00"), time.time(), size=self.size)
        site = self

        class Handler(_CameraHandler):
            pass

        Handler.site = site
        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class _CameraHandler(BaseHTTPRequestHandler):
    site: CameraSite
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a camera's access log is not the simulator's output."""

    def do_GET(self) -> None:
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) != 3 or parts[0] != "cameras" or parts[2] not in {"snapshot.jpg", "mjpeg"}:
            self._plain(404, "no such camera path")
            return
        camera = self.site.cameras.get(parts[1])
        if camera is None:
            self._plain(404, "no such camera")
            return
        if camera.outage:
            while camera.outage and self.site.serving:
                time.sleep(0.2)  # accepts, never answers: only a timeout tells
            return
        epe_id = parts[1].rsplit(".", 1)[0]
        if not self.site.authorized(epe_id, "GET", self.headers.get("Authorization")):
            self.send_response(401)
            self.send_header(
                "WWW-Authenticate",
                f'Digest realm="{REALM}", qop="auth", algorithm=MD5, '
                f'nonce="{self.site.new_nonce()}"',
            )
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if parts[2] == "snapshot.jpg":
            frame = draw_frame(camera, time.time(), size=self.site.size)
            camera.frames += 1
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(frame)))
            self.end_headers()
            self.wfile.write(frame)
            return
        self._mjpeg(camera)

    def _mjpeg(self, camera: SimulatedCamera) -> None:
        camera.streams += 1
        self.send_response(200)
        self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        period = 1.0 / self.site.fps
        try:
            while not camera.outage:
                frame = draw_frame(camera, time.time(), size=self.site.size)
                camera.frames += 1
                head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(frame)}"
                self.wfile.write(head.encode() + b"\r\n\r\n" + frame + b"\r\n")
                self.wfile.flush()
                time.sleep(period)
        except (BrokenPipeError, ConnectionResetError):
            return
        self.close_connection = True

    def _plain(self, status: int, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
