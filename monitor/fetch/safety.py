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


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
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
