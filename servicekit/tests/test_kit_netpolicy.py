"""The shared camera network policy: the development variant allows loopback only."""

import ipaddress

import pytest

from servicekit.netpolicy import (
    DEFAULT_DENIED_NETWORKS,
    ProbePolicy,
    ProbeRefused,
    without_loopback,
)


def test_without_loopback_keeps_every_other_denial():
    policy = ProbePolicy.build(denied=without_loopback(ProbePolicy.build().denied_networks))
    policy.check("127.0.0.1", 80, [ipaddress.ip_address("127.0.0.1")])
    for address in ("169.254.169.254", "0.0.0.0", "fe80::1", "224.0.0.1"):
        with pytest.raises(ProbeRefused):
            policy.check(address, 80, [ipaddress.ip_address(address)])
    assert len(policy.denied_networks) == len(DEFAULT_DENIED_NETWORKS) - 2
