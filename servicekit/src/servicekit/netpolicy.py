"""Where customs may connect to an EPE's camera: a network policy against server-side request
forgery, shared by the registry's prober and the access service's camera views.

An EPE declares its cameras' `stream_url` / `onvif_url`, and the prober (or a camera view),
running on customs' network, connects there. Without a policy an EPE could make customs'
servers connect to loopback, cloud metadata (169.254.169.254), the database port or any
internal host. So:

- the host name is resolved once and EVERY address it resolves to is checked; one denied
  address refuses the probe (a name that resolves to a public and a loopback address is refused);
- the prober then connects to a checked address, never to the name again (no DNS rebinding
  between the check and the connection); HTTPS still verifies the certificate against the name;
- an address is allowed when it is in an allowed network and in no denied network (deny wins);
  an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) is judged as the IPv4 address it is, and
  the IPv4 address embedded in a NAT64, 6to4 or Teredo address must not be denied either;
- the port must be one of the allowed probe ports.

A refusal is a probe result of its own (`refused`, with the reason), not a fault: the policy
alone never makes a camera go offline.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Allowed by default: any address not denied below. Private ranges (10/8, 172.16/12,
#: 192.168/16, 100.64/10 shared, fc00::/7 unique local) are allowed because EPE cameras reached
#: over a VPN or a separate channel usually have such addresses; narrow this to the EPE
#: networks in production.
DEFAULT_ALLOWED_NETWORKS: tuple[str, ...] = ("0.0.0.0/0", "::/0")

#: Never probed by default: this host, link-local (cloud metadata), multicast, unspecified,
#: reserved, and the IPv6 equivalents.
DEFAULT_DENIED_NETWORKS: tuple[str, ...] = (
    "0.0.0.0/8",  # "this network", incl. the unspecified 0.0.0.0
    "127.0.0.0/8",  # loopback
    "169.254.0.0/16",  # link-local, incl. cloud metadata 169.254.169.254
    "100.100.100.200/32",  # cloud metadata (Alibaba Cloud) inside the shared range
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4",  # reserved, incl. broadcast 255.255.255.255
    "::/128",  # unspecified
    "::1/128",  # loopback
    "fe80::/10",  # link-local
    "ff00::/8",  # multicast
    "fd00:ec2::254/128",  # cloud metadata (AWS, IPv6)
)

#: Ports cameras answer ONVIF/HTTP on (80, 443, 2020, 8000, 8080, 8443, 8899) and RTSP (554,
#: 8554). Anything else (5432, 4222, 22...) is refused unless configured.
DEFAULT_ALLOWED_PORTS: tuple[int, ...] = (80, 443, 554, 2020, 8000, 8080, 8443, 8554, 8899)

NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

#: The port the prober connects to when a URL names none.
DEFAULT_PORTS = {"http": 80, "https": 443, "rtsp": 554}


class ProbeRefused(Exception):
    """The policy forbids this probe; `reason` says why (addresses and ports, no URL)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NameNotResolved(Exception):
    """The camera's host name did not resolve (a reachability failure, not a refusal)."""


def parse_networks(values: Iterable[str | IPNetwork]) -> tuple[IPNetwork, ...]:
    """Networks from CIDR strings (a bare address is a /32 or /128)."""
    return tuple(
        v
        if isinstance(v, ipaddress.IPv4Network | ipaddress.IPv6Network)
        # strict: "10.0.0.1/8" (host bits set) is a configuration mistake, not 10.0.0.0/8
        else ipaddress.ip_network(v.strip(), strict=True)
        for v in values
    )


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses a translating gateway would reach for this IPv6 address."""
    found: list[ipaddress.IPv4Address] = []
    if address in NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.append(address.teredo[1])
    return found


@dataclass(frozen=True)
class ProbePolicy:
    """Allowed and denied networks (deny wins) and allowed ports (inclusive ranges)."""

    allowed_networks: tuple[IPNetwork, ...]
    denied_networks: tuple[IPNetwork, ...]
    allowed_ports: tuple[tuple[int, int], ...]

    @classmethod
    def build(
        cls,
        *,
        allowed: Iterable[str | IPNetwork] = DEFAULT_ALLOWED_NETWORKS,
        denied: Iterable[str | IPNetwork] = DEFAULT_DENIED_NETWORKS,
        ports: Iterable[int | tuple[int, int]] = DEFAULT_ALLOWED_PORTS,
    ) -> ProbePolicy:
        """A policy from CIDRs and ports (an int or an inclusive `(low, high)` range)."""
        return cls(
            allowed_networks=parse_networks(allowed),
            denied_networks=parse_networks(denied),
            allowed_ports=tuple((p, p) if isinstance(p, int) else (p[0], p[1]) for p in ports),
        )

    def _denied_by(self, address: IPAddress) -> IPNetwork | None:
        return next((n for n in self.denied_networks if address in n), None)

    def address_refusal(self, address: IPAddress) -> str | None:
        """Why this address may not be probed, or None when it may."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        denied = self._denied_by(address)
        if denied is not None:
            return f"{address} is in denied network {denied}"
        if not any(address in n for n in self.allowed_networks):
            return f"{address} is not in an allowed network"
        if isinstance(address, ipaddress.IPv6Address):
            for inner in embedded_ipv4(address):
                denied = self._denied_by(inner)
                if denied is not None:
                    return f"{address} embeds {inner}, in denied network {denied}"
        return None

    def port_refusal(self, port: int) -> str | None:
        """Why this port may not be probed, or None when it may."""
        if any(low <= port <= high for low, high in self.allowed_ports):
            return None
        return f"port {port} is not an allowed probe port"

    def check(self, host: str, port: int, addresses: Sequence[IPAddress]) -> None:
        """Raise ProbeRefused unless the port and EVERY address are allowed."""
        if not addresses:
            raise NameNotResolved(host)
        refusal = self.port_refusal(port)
        if refusal is not None:
            raise ProbeRefused(refusal)
        for address in addresses:
            refusal = self.address_refusal(address)
            if refusal is not None:
                if ip_literal(host) is None:
                    refusal = f"the name {host} resolves to {address}; {refusal}"
                raise ProbeRefused(refusal)

    def refusal_of(self, url: str, *, wait: float) -> str | None:
        """Why the prober would refuse `url`, checked when a camera is saved; None if it may.

        The host name is resolved within `wait` seconds. A name that does not resolve then
        passes: the registry may not resolve an EPE's names on a closed network, and the
        prober checks every probe again anyway.
        """
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower(), 0)
        host = parts.hostname or ""
        literal = ip_literal(host)
        addresses = [literal] if literal is not None else resolve_within(host, port, wait)
        if not addresses:
            return self.port_refusal(port)
        try:
            self.check(host, port, addresses)
        except ProbeRefused as exc:
            return exc.reason
        return None

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Resolve `host` once and check every address; the checked addresses to connect to.

        Raises ProbeRefused (policy) or NameNotResolved (DNS).
        """
        literal = ip_literal(host)
        if literal is not None:
            addresses = [literal]
        else:
            loop = asyncio.get_running_loop()
            try:
                infos = await loop.getaddrinfo(
                    host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
                )
            except (OSError, UnicodeError) as exc:
                raise NameNotResolved(host) from exc
            addresses = []
            for _family, _type, _proto, _name, sockaddr in infos:
                address = ipaddress.ip_address(str(sockaddr[0]))
                if address not in addresses:
                    addresses.append(address)
        self.check(host, port, addresses)
        return addresses


def without_loopback(networks: Iterable[IPNetwork]) -> tuple[IPNetwork, ...]:
    """The denied networks minus loopback: the development policy, where simulated cameras
    listen on this host (never in production; the services' settings refuse it there)."""
    loopback = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
    return tuple(n for n in networks if n not in loopback)


def ip_literal(host: str) -> IPAddress | None:
    """The address when `host` is an IP literal (`urlsplit` already strips IPv6 brackets)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def resolve_within(host: str, port: int, wait: float) -> list[IPAddress]:
    """The addresses `host` resolves to, or [] when it does not within `wait` seconds."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(
        socket.getaddrinfo, host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    try:
        infos = future.result(timeout=wait)
    except (OSError, UnicodeError, TimeoutError):
        return []
    finally:
        pool.shutdown(wait=False)  # a resolver stuck past `wait` ends on its own
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]))
        if address not in addresses:
            addresses.append(address)
    return addresses
