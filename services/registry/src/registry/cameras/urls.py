"""Camera addresses: stream and ONVIF URLs carry no credentials (those live in the vault)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

CREDENTIAL_QUERY_KEYS = frozenset(
    {"user", "username", "usr", "password", "passwd", "pwd", "pass", "token", "auth", "key"}
)
STREAM_SCHEMES = frozenset({"rtsp", "rtsps", "http", "https", "rtmp", "rtmps", "srt"})
ONVIF_SCHEMES = frozenset({"http", "https"})


def check_camera_url(value: str, *, schemes: frozenset[str]) -> str:
    """The URL if it is absolute, of an allowed scheme and free of credentials; else ValueError.

    The messages never repeat the URL: it may contain the very password we refuse to store.
    """
    text = value.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError("not a valid URL") from None
    if parts.scheme.lower() not in schemes:
        raise ValueError(f"the scheme must be one of: {', '.join(sorted(schemes))}")
    if not parts.hostname:
        raise ValueError("the URL needs a host")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValueError(
            "credentials must not be embedded in the URL; store them in the access vault"
        )
    for key, _ in parse_qsl(parts.query, keep_blank_values=True):
        if key.lower() in CREDENTIAL_QUERY_KEYS:
            raise ValueError(
                "credentials must not be passed in the query string; store them in the vault"
            )
    if port is not None and not 0 < port < 65536:
        raise ValueError("the port is out of range")
    return text
