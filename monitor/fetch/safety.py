"""Which URLs we are willing to fetch. Page content must never steer us to a local address."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
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


async def check_address(url: str, allow_private: bool) -> None:
    """Refuse hosts that resolve to private, loopback, link-local or metadata addresses.

    A host with any non-public address is refused: a DNS answer that mixes public and
    private addresses is a classic rebinding trick.
    """
    host = check_scheme(url)
    if allow_private:
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None,
                                                             type=socket.SOCK_STREAM)
    except OSError as exc:
        raise BlockedError(f"DNS lookup failed for {host}: {exc.strerror or exc}",
                           url=url) from None
    for info in infos:
        address = str(info[4][0])
        if not is_public(address):
            raise BlockedError(
                f"refused: {host} resolves to non-public address {address} "
                "(set fetch.allow_private_addresses: true to allow)", url=url)
