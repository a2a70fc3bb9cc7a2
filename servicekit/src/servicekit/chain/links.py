"""Keyed links and the checker that walks them in order and names the first bad one."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from servicekit.chain.anchors import Anchor

GENESIS = "0" * 64
"""The `prev` of the first link."""

_DERIVE = b"camwatch/chain/v1|"


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same bytes every time it is MACed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


class ChainKey:
    """The MAC key of one chain, derived from a secret so each chain (and each other use of the
    same secret) gets its own key."""

    def __init__(self, secret: bytes, *, chain: str) -> None:
        self.chain = chain
        self._key = hmac.new(secret, _DERIVE + chain.encode(), hashlib.sha256).digest()

    def mac(self, prev: str, body: Mapping[str, Any]) -> str:
        """HMAC-SHA256 over the previous MAC and the link's content."""
        message = canonical_json({"prev": prev, "body": body}).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    @property
    def key_id(self) -> str:
        """A public fingerprint of the key: anchors carry it, so a wrong key is told apart."""
        return hmac.new(self._key, b"key-id", hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class Link:
    """One stored link: its position, id, content, the MAC it claims and the one it follows."""

    seq: int
    id: str | None
    body: Mapping[str, Any]
    prev: str
    mac: str


@dataclass(frozen=True)
class Break:
    """The first link where the chain does not hold (`id` is None when the link is missing)."""

    seq: int
    id: str | None
    problem: str


class ChainChecker:
    """Checks links fed in seq order against the key and the anchors.

    Links before `keyed_from` (written before the chain was keyed) are checked with `legacy`;
    they are protected by the first keyed link, whose MAC covers the last legacy hash.
    """

    def __init__(
        self,
        key: ChainKey,
        *,
        anchors: Iterable[Anchor] = (),
        keyed_from: int = 1,
        legacy: Callable[[Link], str] | None = None,
    ) -> None:
        self.key = key
        self.keyed_from = keyed_from
        self.legacy = legacy
        self.anchors = {a.seq: a for a in sorted(anchors, key=lambda a: a.anchored_at)}
        self.checked = 0
        self.last_seq = 0
        self.last_mac = GENESIS

    def expected_mac(self, link: Link) -> str:
        """The MAC the link must carry."""
        if link.seq < self.keyed_from and self.legacy is not None:
            return self.legacy(link)
        return self.key.mac(link.prev, link.body)

    def start(self) -> Break | None:
        """Checks of the anchors themselves, before any link: key and keyed segment."""
        for anchor in self.anchors.values():
            if anchor.key_id != self.key.key_id:
                return Break(
                    anchor.seq,
                    None,
                    f"the anchor of {anchor.anchored_at.isoformat()} "
                    "was made with another key (wrong key configured?)",
                )
            if anchor.keyed_from != self.keyed_from:
                first = min(anchor.keyed_from, self.keyed_from)
                return Break(
                    first,
                    None,
                    f"the chain says its keyed segment starts at "
                    f"{self.keyed_from}, its anchors say {anchor.keyed_from} (altered)",
                )
        return None

    def check(self, link: Link) -> Break | None:
        """The problem with this link, if any; otherwise it becomes the new last link."""
        expected = self.last_seq + 1
        if link.seq != expected:
            return Break(expected, None, f"record {expected} is missing (found {link.seq} next)")
        if link.prev != self.last_mac:
            return Break(link.seq, link.id, "its prev does not match the previous MAC (altered)")
        if not hmac.compare_digest(self.expected_mac(link), link.mac):
            return Break(link.seq, link.id, "its content does not match its MAC (altered)")
        anchor = self.anchors.get(link.seq)
        if anchor is not None and not hmac.compare_digest(anchor.mac, link.mac):
            return Break(
                link.seq,
                link.id,
                f"its MAC differs from the anchor of {anchor.anchored_at.isoformat()} (altered)",
            )
        self.checked += 1
        self.last_seq = link.seq
        self.last_mac = link.mac
        return None

    def finish(self, *, head_seq: int, head_mac: str) -> Break | None:
        """After the last link: nothing anchored may be missing, and the head must match."""
        if self.anchors:
            furthest = max(self.anchors.values(), key=lambda a: a.seq)
            if furthest.seq > self.last_seq:
                return Break(
                    self.last_seq + 1,
                    None,
                    f"record {self.last_seq + 1} is missing: the anchor of "
                    f"{furthest.anchored_at.isoformat()} covers records up to {furthest.seq}",
                )
        if head_seq != self.last_seq or head_mac != self.last_mac:
            return Break(
                self.last_seq + 1 if head_seq > self.last_seq else head_seq,
                None,
                f"the chain head says record {head_seq} is last, but the chain ends at "
                f"{self.last_seq} (records removed or head altered)",
            )
        return None
