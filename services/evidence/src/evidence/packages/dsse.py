"""DSSE envelopes (https://github.com/secure-systems-lab/dsse) signed with Ed25519.

The signature covers the pre-authentication encoding of the payload type and the payload, so
neither can be swapped; anyone with the public key checks it offline.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

MANIFEST_TYPE = "application/vnd.camwatch.evidence-manifest+json"
_DERIVE = b"camwatch/evidence-signing/v1|"


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSEv1 pre-authentication encoding."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def key_id(public: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, hex: names the key in envelopes and packages."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def public_pem(public: Ed25519PublicKey) -> str:
    """The public key as PEM (SubjectPublicKeyInfo), what the endpoint serves."""
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_public_pem(text: str | bytes) -> Ed25519PublicKey:
    """A PEM public key, which must be Ed25519."""
    key = serialization.load_pem_public_key(text.encode() if isinstance(text, str) else text)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


class Signer:
    """The service's evidence key, derived from a secret so every replica signs alike."""

    def __init__(self, secret: bytes) -> None:
        seed = hashlib.sha256(_DERIVE + secret).digest()
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        self.public = self._private.public_key()
        self.key_id = key_id(self.public)

    def envelope(self, payload: bytes, payload_type: str = MANIFEST_TYPE) -> dict[str, Any]:
        """The payload in a signed DSSE envelope."""
        signature = self._private.sign(pae(payload_type, payload))
        return {
            "payloadType": payload_type,
            "payload": base64.b64encode(payload).decode(),
            "signatures": [{"keyid": self.key_id, "sig": base64.b64encode(signature).decode()}],
        }


class EnvelopeError(ValueError):
    """The envelope is malformed or its signature does not hold under the key."""


def open_envelope(envelope: bytes | str, public: Ed25519PublicKey) -> bytes:
    """The payload if a signature by `public` holds over it; EnvelopeError otherwise."""
    try:
        document = json.loads(envelope)
        payload_type = str(document["payloadType"])
        payload = base64.b64decode(document["payload"], validate=True)
        signatures = [base64.b64decode(s["sig"], validate=True) for s in document["signatures"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise EnvelopeError(f"not a DSSE envelope: {exc}") from exc
    if payload_type != MANIFEST_TYPE:
        raise EnvelopeError(f"payload type {payload_type!r} is not an evidence manifest")
    for signature in signatures:
        try:
            public.verify(signature, pae(payload_type, payload))
        except InvalidSignature:
            continue
        return payload
    raise EnvelopeError("no signature holds under the evidence public key")
