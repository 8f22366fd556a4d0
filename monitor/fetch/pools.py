"""One connection pool per origin, behind the one shared client.

httpcore's pool re-examines every one of its connections (a socket poll each, and a scan of
all of them per connection) whenever a request starts or ends: with the 40 keep-alive
connections of 20 hosts that is about 0.9 ms per request, most of a 304 poll's cost. A pool
per origin holds at most `per_host` connections, which is what the host slots allow in
flight anyway, so each request looks at one or two.

Pools of hosts not asked for a while are closed, so a daemon that polls hundreds of hosts
keeps sockets open only for the ones in use.

Every pool opens its connections through one `network_backend` (the Fetcher's connects only
to checked addresses: connect.py).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpcore
import httpx

__all__ = ["HostPools"]

Origin = tuple[str, str, int | None]


@dataclass
class _Pool:
    origin: Origin
    transport: httpx.AsyncBaseTransport
    in_flight: int = 0  # responses not yet closed
    last_used: float = 0.0


class _Tracked(httpx.AsyncByteStream):
    """A response body that says when it is closed (its request is over then)."""

    def __init__(self, stream: httpx.AsyncByteStream, closed: Callable[[], None]):
        self._stream, self._closed = stream, closed

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        closed, self._closed = self._closed, _nothing
        closed()
        await self._stream.aclose()


def _nothing() -> None:
    pass


class HostPools(httpx.AsyncBaseTransport):
    """An httpx transport keeping one `httpx.AsyncHTTPTransport` (so one connection pool) of at
    most `per_host` connections per (scheme, host, port). A pool with nothing in flight for
    `idle_close` seconds is closed."""

    def __init__(self, per_host: int, idle_close: float = 60.0,
                 clock: Callable[[], float] = time.monotonic,
                 network_backend: httpcore.AsyncNetworkBackend | None = None):
        self.per_host = per_host
        self.network_backend = network_backend
        self.idle_close = idle_close
        self._clock = clock
        self._pools: OrderedDict[Origin, _Pool] = OrderedDict()  # by last_used, oldest first
        # One CA bundle load (~0.1 s), up front as httpx's own transport does it, not on a
        # first request that a host slot is already timing.
        self._ssl = httpx.create_ssl_context()

    def _pool(self, origin: Origin) -> _Pool:
        pool = self._pools.get(origin)
        if pool is None:
            transport = httpx.AsyncHTTPTransport(verify=self._ssl)
            # httpx has no parameter for the network backend: its transport is a thin
            # adapter around this one httpcore pool, which is given one here.
            transport._pool = httpcore.AsyncConnectionPool(
                ssl_context=self._ssl, max_connections=self.per_host,
                max_keepalive_connections=self.per_host,
                keepalive_expiry=httpx.Limits().keepalive_expiry or 5.0,
                network_backend=self.network_backend)
            pool = self._pools[origin] = _Pool(origin, transport)
        return pool

    def _used(self, pool: _Pool) -> None:
        pool.last_used = self._clock()
        if self._pools.get(pool.origin) is pool:  # (not after aclose)
            self._pools.move_to_end(pool.origin)

    def _release(self, pool: _Pool) -> None:
        pool.in_flight -= 1
        self._used(pool)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self._close_idle()
        url = request.url
        pool = self._pool((url.scheme, url.host, url.port))
        pool.in_flight += 1
        self._used(pool)
        try:
            response = await pool.transport.handle_async_request(request)
        except BaseException:
            self._release(pool)
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(status_code=response.status_code, headers=response.headers,
                              stream=_Tracked(response.stream, lambda: self._release(pool)),
                              extensions=response.extensions)

    async def _close_idle(self) -> None:
        """On every request: looks only at the pools not used for `idle_close` seconds (in
        flight ones stay)."""
        cutoff = self._clock() - self.idle_close
        idle = []
        for origin, pool in self._pools.items():
            if pool.last_used > cutoff:
                break  # the rest were used more recently
            if pool.in_flight == 0:
                idle.append(origin)
        for origin in idle:
            await self._pools.pop(origin).transport.aclose()

    @property
    def open_pools(self) -> int:
        return len(self._pools)

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            await pool.transport.aclose()
