"""Which URLs we are willing to fetch. Page content must never steer us to a local address."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from ..errors import BlockedError

ALLOWED_SCHEMES = ("http", "https")


def check_scheme(url: str) -> str:
    """Return the host of an http(s) URL, or raise BlockedError."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise BlockedError(f"refused: {parts.scheme or 'no'} scheme (only http/https)", url=url)
    if not parts.hostname:
        raise BlockedError("refused: URL has no host", url=url)
    return parts.hostname


# IPv6 prefixes whose last 32 bits are an IPv4 address the traffic ends up at: NAT64's
# well-known prefix (RFC 6052) and its local-use prefix (RFC 8215).
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
# IPv4-compatible addresses (::a.b.c.d, deprecated by RFC 4291) sit in ::/96.
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (and may be delivered to)."""
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    found = [ip.sixtofour] if ip.sixtofour else []
    if ip.teredo:
        found += ip.teredo
    if any(ip in net for net in _NAT64):
        found.append(low32)
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:  # not :: or ::1 (judged as IPv6)
        found.append(low32)
    return found


def is_public(address: str) -> bool:
    """A globally routable unicast address, and so is every IPv4 address embedded in it
    (NAT64, 6to4, Teredo, IPv4-mapped and -compatible forms would reach those)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:  # ::ffff:a.b.c.d is the IPv4 address itself
            return is_public(str(ip.ipv4_mapped))
        if not all(is_public(str(a)) for a in _embedded_ipv4(ip)):
            return False
    return ip.is_global and not ip.is_multicast


Resolver = Callable[[str], Awaitable[list[str]]]


async def system_resolver(host: str) -> list[str]:
    """The host's addresses, in the system resolver's order, each once."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def resolve_checked(host: str, allow_private: bool,
                          resolve: Resolver = system_resolver) -> list[str]:
    """The addresses to connect to for `host`: resolved once, here, and refused when any of
    them is private, loopback, link-local or metadata (unless `allow_private`).

    A DNS answer that mixes public and private addresses is a classic rebinding trick, so
    one non-public address refuses the host. The caller connects to exactly these
    addresses: a second lookup could answer differently (DNS rebinding).
    """
    try:
        addresses = await resolve(host)
    except OSError as exc:
        raise BlockedError(f"DNS lookup failed for {host}: {exc.strerror or exc}") from None
    if not addresses:
        raise BlockedError(f"DNS lookup failed for {host}: no address")
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise BlockedError(
                    f"refused: {host} resolves to non-public address {address} "
                    "(set fetch.allow_private_addresses: true to allow)")
    return addresses
