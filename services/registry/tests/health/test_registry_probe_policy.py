"""The probe network policy: which addresses and ports the prober may connect to."""

import ipaddress
import re

import pytest
from pydantic import ValidationError

from registry.health.probe_policy import NameNotResolved, ProbePolicy, ProbeRefused
from registry.settings import Settings

DEFAULT = ProbePolicy.build()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "0.0.0.0",
        "169.254.169.254",  # cloud metadata
        "169.254.10.20",
        "100.100.100.200",
        "224.0.0.251",
        "239.255.255.250",
        "255.255.255.255",
        "::",
        "::1",
        "fe80::1",
        "ff02::1",
        "fd00:ec2::254",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",  # NAT64 to the metadata address
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    ],
)
def test_denied_by_default(address):
    refusal = DEFAULT.address_refusal(ipaddress.ip_address(address))
    assert refusal is not None and "denied network" in refusal, refusal


@pytest.mark.parametrize(
    "address",
    [
        "203.0.113.10",
        "10.20.30.40",
        "172.16.5.4",
        "192.168.1.64",
        "100.64.0.9",
        "2001:db8::7",
        "fd12:3456::10",
        "::ffff:192.168.1.64",
        "64:ff9b::cb00:710a",  # NAT64 of 203.0.113.10
    ],
)
def test_public_and_private_addresses_allowed_by_default(address):
    assert DEFAULT.address_refusal(ipaddress.ip_address(address)) is None


def test_narrowed_networks_and_deny_wins():
    policy = ProbePolicy.build(allowed=["10.0.0.0/8"], denied=["10.96.0.0/12"], ports=[554])
    assert policy.address_refusal(ipaddress.ip_address("10.20.0.1")) is None
    assert policy.address_refusal(ipaddress.ip_address("10.100.0.1")) == (
        "10.100.0.1 is in denied network 10.96.0.0/12"
    )
    assert policy.address_refusal(ipaddress.ip_address("203.0.113.10")) == (
        "203.0.113.10 is not in an allowed network"
    )
    assert policy.address_refusal(ipaddress.ip_address("2001:db8::1")) is not None
    # a denied network wins over an allowed one of any size
    loop = ProbePolicy.build(allowed=["127.0.0.1/32"])
    assert loop.address_refusal(ipaddress.ip_address("127.0.0.1")) is not None
    assert (
        ProbePolicy.build(allowed=["127.0.0.1/32"], denied=[]).address_refusal(
            ipaddress.ip_address("127.0.0.1")
        )
        is None
    )


def test_ports():
    policy = ProbePolicy.build(ports=[554, (8000, 8099)])
    assert policy.port_refusal(554) is None
    assert policy.port_refusal(8042) is None
    assert policy.port_refusal(8100) == "port 8100 is not an allowed probe port"
    assert DEFAULT.port_refusal(5432) is not None
    assert DEFAULT.port_refusal(80) is None and DEFAULT.port_refusal(554) is None


def test_every_address_is_checked():
    good, bad = ipaddress.ip_address("203.0.113.10"), ipaddress.ip_address("127.0.0.1")
    DEFAULT.check("cam.epe.test", 554, [good])
    with pytest.raises(
        ProbeRefused, match=re.escape("the name cam.epe.test resolves to 127.0.0.1")
    ):
        DEFAULT.check("cam.epe.test", 554, [good, bad])
    with pytest.raises(ProbeRefused, match="^" + re.escape("127.0.0.1 is in denied network")):
        DEFAULT.check("127.0.0.1", 554, [bad])
    with pytest.raises(NameNotResolved):
        DEFAULT.check("cam.epe.test", 554, [])


async def test_literal_addresses_are_not_resolved():
    assert await DEFAULT.resolve("203.0.113.10", 554) == [ipaddress.ip_address("203.0.113.10")]
    assert await DEFAULT.resolve("2001:db8::7", 80) == [ipaddress.ip_address("2001:db8::7")]
    # legacy numeric forms go through the resolver, which normalises them: still checked
    with pytest.raises(ProbeRefused, match=re.escape("resolves to 127.0.0.1")):
        await DEFAULT.resolve("2130706433", 554)
    with pytest.raises(ProbeRefused, match=re.escape("resolves to 127.0.0.1")):
        await DEFAULT.resolve("127.1", 554)


def test_settings_defaults_and_environment(monkeypatch):
    defaults = Settings().probe_policy()
    assert defaults == DEFAULT
    monkeypatch.setenv("REGISTRY_PROBE_ALLOWED_NETWORKS", "10.8.0.0/16, fd12:3456::/48")
    monkeypatch.setenv("REGISTRY_PROBE_DENIED_NETWORKS", '["10.8.5.0/24", "127.0.0.0/8"]')
    monkeypatch.setenv("REGISTRY_PROBE_ALLOWED_PORTS", "554,8000-8099")
    policy = Settings().probe_policy()
    assert [str(n) for n in policy.allowed_networks] == ["10.8.0.0/16", "fd12:3456::/48"]
    assert [str(n) for n in policy.denied_networks] == ["10.8.5.0/24", "127.0.0.0/8"]
    assert policy.allowed_ports == ((554, 554), (8000, 8099))
    assert policy.address_refusal(ipaddress.ip_address("10.8.5.1")) is not None
    assert policy.address_refusal(ipaddress.ip_address("10.8.6.1")) is None
    monkeypatch.setenv("REGISTRY_PROBE_ALLOWED_NETWORKS", "")
    assert Settings().probe_policy().allowed_networks == ()  # nothing may be probed


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("probe_allowed_networks", ["10.0.0.1/8"]),  # host bits set: a typo, not 10.0.0.0/8
        ("probe_denied_networks", ["not-a-network"]),
        ("probe_allowed_ports", ["0"]),
        ("probe_allowed_ports", ["9000-8000"]),
        ("probe_allowed_ports", ["http"]),
        ("probe_allowed_ports", [70000]),
    ],
)
def test_settings_refuse_bad_values(name, value):
    with pytest.raises(ValidationError):
        Settings(**{name: value})
