"""Connections go to the addresses that were checked, never to a second DNS answer.

Checking a host's addresses and then letting the HTTP library resolve it again to connect
leaves a window: a name that answers a public address to the check and 127.0.0.1 to the
connection (DNS rebinding) reaches the local network. Here the host is resolved once, by
the network backend itself at connect time, its addresses checked (fetch/safety.py), and
the socket connected to one of those addresses. Everything above the socket still uses the
host name: httpcore sends it as the Host header and as the TLS server name (SNI) and checks
the certificate against it, and the per-origin pools stay keyed by it.
"""

from __future__ import annotations

import typing

import httpcore

from .safety import Resolver, resolve_checked, system_resolver

__all__ = ["CheckedBackend"]


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend connecting only to checked addresses of the host."""

    def __init__(self, allow_private: bool, resolve: Resolver = system_resolver,
                 inner: httpcore.AsyncNetworkBackend | None = None):
        self.allow_private = allow_private
        self._resolve = resolve
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
            self, host: str, port: int, timeout: float | None = None,
            local_address: str | None = None,
            socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve_checked(host, self.allow_private, self._resolve)
        failure: Exception = httpcore.ConnectError(f"no address for {host}")
        # In the resolver's order (getaddrinfo sorts by RFC 6724, IPv4 first on a machine
        # without a global IPv6 address); one after the other, not raced.
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address,
                    socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    async def connect_unix_socket(
            self, path: str, timeout: float | None = None,
            socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
