"""A keyed, anchored hash chain for append-only logs (the access audit log, evidence custody).

Each link's MAC is HMAC-SHA256 under a key held outside the database, over the link's content
and the previous MAC, so whoever can write the table cannot recompute the chain after an edit.
The head is anchored outside the database (Object-Locked S3 objects and an event), so removing
the tail and fixing the head up is caught too. `ChainChecker` names the first bad link.
"""

from servicekit.chain.anchors import Anchor, AnchorStore, anchor_key
from servicekit.chain.links import GENESIS, Break, ChainChecker, ChainKey, Link, canonical_json
from servicekit.chain.store import ChainStore, Columns

__all__ = [
    "GENESIS",
    "Anchor",
    "AnchorStore",
    "Break",
    "ChainChecker",
    "ChainKey",
    "ChainStore",
    "Columns",
    "Link",
    "anchor_key",
    "canonical_json",
]
