"""The prober's network policy: the kit's `servicekit.netpolicy`, shared with the access
service's camera views (both connect from customs' network to addresses EPEs declare)."""

from servicekit.netpolicy import (
    DEFAULT_ALLOWED_NETWORKS,
    DEFAULT_ALLOWED_PORTS,
    DEFAULT_DENIED_NETWORKS,
    DEFAULT_PORTS,
    NAT64,
    IPAddress,
    IPNetwork,
    NameNotResolved,
    ProbePolicy,
    ProbeRefused,
    embedded_ipv4,
    ip_literal,
    parse_networks,
    resolve_within,
)

__all__ = [
    "DEFAULT_ALLOWED_NETWORKS",
    "DEFAULT_ALLOWED_PORTS",
    "DEFAULT_DENIED_NETWORKS",
    "DEFAULT_PORTS",
    "NAT64",
    "IPAddress",
    "IPNetwork",
    "NameNotResolved",
    "ProbePolicy",
    "ProbeRefused",
    "embedded_ipv4",
    "ip_literal",
    "parse_networks",
    "resolve_within",
]
