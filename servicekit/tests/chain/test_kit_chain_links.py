"""Keyed links: an edit cannot be hidden by recomputing MACs without the key, and the checker
names the first missing or altered link, using the anchors for what was cut off the tail."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from servicekit.chain import GENESIS, Anchor, ChainChecker, ChainKey, Link, canonical_json

KEY_SECRET = b"a secret held outside the database"
KEY = ChainKey(KEY_SECRET, chain="test")


def build(key: ChainKey, bodies: list[dict[str, str]], *, prev: str = GENESIS) -> list[Link]:
    links = []
    for seq, body in enumerate(bodies, start=1):
        mac = key.mac(prev, body)
        links.append(Link(seq=seq, id=f"r{seq}", body=body, prev=prev, mac=mac))
        prev = mac
    return links


def check(links: list[Link], checker: ChainChecker, head: tuple[int, str]):
    for link in links:
        if problem := checker.check(link):
            return problem
    return checker.finish(head_seq=head[0], head_mac=head[1])


def anchor(link: Link, *, key: ChainKey = KEY, keyed_from: int = 1) -> Anchor:
    return Anchor(
        chain=key.chain,
        seq=link.seq,
        mac=link.mac,
        keyed_from=keyed_from,
        key_id=key.key_id,
        anchored_at=datetime(2026, 11, 30, 5, tzinfo=UTC),
    )


BODIES = [{"action": f"a{i}"} for i in range(1, 9)]


def test_an_intact_chain_passes():
    links = build(KEY, BODIES)
    assert check(links, ChainChecker(KEY, anchors=[anchor(links[-1])]), (8, links[-1].mac)) is None


def test_keys_differ_per_chain_and_secret():
    assert KEY.mac(GENESIS, {"a": 1}) != ChainKey(b"other", chain="test").mac(GENESIS, {"a": 1})
    assert KEY.mac(GENESIS, {"a": 1}) != ChainKey(KEY_SECRET, chain="other").mac(GENESIS, {"a": 1})


def test_an_edit_recomputed_without_the_key_is_named():
    links = build(KEY, BODIES)
    forged_tail = build(ChainKey(b"a guess", chain="test"), BODIES[3:], prev=links[2].mac)
    edited = links[:3] + [
        Link(seq=i + 4, id=f"r{i + 4}", body=f.body, prev=f.prev, mac=f.mac)
        for i, f in enumerate(forged_tail)
    ]
    problem = check(edited, ChainChecker(KEY), (8, edited[-1].mac))
    assert problem is not None and problem.seq == 4 and problem.id == "r4"
    assert "altered" in problem.problem


def test_a_truncated_tail_is_named_from_the_anchor():
    links = build(KEY, BODIES)
    kept = links[:5]
    problem = check(kept, ChainChecker(KEY, anchors=[anchor(links[-1])]), (5, kept[-1].mac))
    assert problem is not None and problem.seq == 6 and problem.id is None
    assert "missing" in problem.problem


def test_a_link_differing_from_its_anchor_is_named():
    links = build(KEY, BODIES)
    wrong = anchor(links[3]).model_copy(update={"mac": "f" * 64})
    problem = check(links, ChainChecker(KEY, anchors=[wrong]), (8, links[-1].mac))
    assert problem is not None and problem.seq == 4 and "anchor" in problem.problem


def legacy(link: Link) -> str:
    return hashlib.sha256(canonical_json({**link.body, "prev": link.prev}).encode()).hexdigest()


def test_a_legacy_segment_is_checked_and_covered_by_the_first_keyed_link():
    prev = GENESIS
    old = []
    for seq, body in enumerate(BODIES[:3], start=1):
        link = Link(seq=seq, id=None, body=body, prev=prev, mac="")
        link = Link(seq=seq, id=None, body=body, prev=prev, mac=legacy(link))
        old.append(link)
        prev = link.mac
    new = [
        Link(seq=i + 4, id=None, body=link.body, prev=link.prev, mac=link.mac)
        for i, link in enumerate(build(KEY, BODIES[3:], prev=prev))
    ]
    links = old + new
    head = (8, links[-1].mac)
    assert check(links, ChainChecker(KEY, keyed_from=4, legacy=legacy), head) is None
    # moving the keyed segment's start (to recompute keyed links as legacy) shows in the anchors
    moved = ChainChecker(
        KEY, keyed_from=9, legacy=legacy, anchors=[anchor(links[-1], keyed_from=4)]
    )
    problem = moved.start()
    assert problem is not None and problem.seq == 4


def test_an_anchor_made_with_another_key_is_reported():
    links = build(KEY, BODIES)
    other = anchor(links[-1], key=ChainKey(b"another secret", chain="test"))
    problem = ChainChecker(KEY, anchors=[other]).start()
    assert problem is not None and "another key" in problem.problem
