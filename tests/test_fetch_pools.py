"""One connection pool per origin (monitor.fetch.pools) against real local servers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from monitor.fetch.pools import HostPools
from tests.fixture_server import FixtureServer


@pytest.fixture
def sites() -> Iterator[tuple[FixtureServer, FixtureServer]]:
    with FixtureServer() as one, FixtureServer() as two:
        yield one, two


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def wait_for(condition, timeout: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    """The server notices a closed connection in its own thread: wait for it (bounded)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_requests_to_one_host_reuse_its_connections(sites: tuple[FixtureServer, ...]) -> None:
    one, _ = sites
    url = one.add("/a", "hello", content_type="text/plain")

    async def go() -> list[bytes]:
        async with httpx.AsyncClient(transport=HostPools(per_host=2)) as client:
            return [(await client.get(url)).content for _ in range(6)]

    assert asyncio.run(go()) == [b"hello"] * 6
    assert len({r.port for r in one.requests}) == 1  # one keep-alive connection, six requests


def test_each_origin_has_its_own_bounded_pool(sites: tuple[FixtureServer, ...]) -> None:
    one, two = sites
    slow = one.add("/slow", "slow", delay=0.3)
    fast = two.add("/fast", "fast")

    async def go() -> tuple[list[str], list[str], int]:
        pools = HostPools(per_host=2)
        async with httpx.AsyncClient(transport=pools) as client:
            slow_ones = [asyncio.create_task(client.get(slow)) for _ in range(5)]
            await asyncio.sleep(0.05)  # the slow host's two connections are busy now
            fast_ones = await asyncio.gather(*(client.get(fast) for _ in range(3)))
            return ([r.text for r in await asyncio.gather(*slow_ones)],
                    [r.text for r in fast_ones], pools.open_pools)

    slow_texts, fast_texts, open_pools = asyncio.run(go())
    assert slow_texts == ["slow"] * 5 and fast_texts == ["fast"] * 3 and open_pools == 2
    assert one.max_in_flight == 2  # the pool holds per_host connections, no more
    assert len({r.port for r in one.requests}) == 2
    # The busy host's queue did not hold up the other one: it was served meanwhile.
    assert max(two.times("/fast")) < max(one.times("/slow"))


def test_a_pool_unused_for_a_while_is_closed(sites: tuple[FixtureServer, ...]) -> None:
    one, two = sites
    a, b = one.add("/a", "a"), two.add("/b", "b")
    clock = Clock()

    async def go() -> tuple[int, int]:
        pools = HostPools(per_host=2, idle_close=60, clock=clock)
        async with httpx.AsyncClient(transport=pools) as client:
            await client.get(a)
            assert wait_for(lambda: one.connections == 1)
            clock.now += 30
            await client.get(b)
            still = pools.open_pools  # a was used 30 s ago: kept
            clock.now += 31
            await client.get(b)
            assert wait_for(lambda: one.connections == 0)  # a's socket was closed
            return still, pools.open_pools

    assert asyncio.run(go()) == (2, 1)
    assert wait_for(lambda: two.connections == 0)  # and the client's close closed the rest


def test_a_pool_with_a_response_open_is_not_closed(sites: tuple[FixtureServer, ...]) -> None:
    one, two = sites
    body = b"x" * 300_000
    a, b = one.add("/big", body), two.add("/b", "b")
    clock = Clock()

    async def go() -> tuple[bytes, int]:
        pools = HostPools(per_host=2, idle_close=60, clock=clock)
        async with httpx.AsyncClient(transport=pools) as client:
            async with client.stream("GET", a) as response:
                chunks = response.aiter_raw()
                first = await chunks.__anext__()
                clock.now += 120
                await client.get(b)  # a sweep while /big is still being read
                open_pools = pools.open_pools
                rest = b"".join([chunk async for chunk in chunks])
            return first + rest, open_pools

    read, open_pools = asyncio.run(go())
    assert read == body and open_pools == 2


def test_a_failed_request_leaves_the_pool_closable(sites: tuple[FixtureServer, ...]) -> None:
    one, two = sites
    dead = one.url("/x").replace(str(one._server.server_address[1]), "1")  # nothing listens
    b = two.add("/b", "b")
    clock = Clock()

    async def go() -> int:
        pools = HostPools(per_host=2, idle_close=60, clock=clock)
        async with httpx.AsyncClient(transport=pools) as client:
            with pytest.raises(httpx.ConnectError):
                await client.get(dead)
            clock.now += 61
            await client.get(b)
            return pools.open_pools

    assert asyncio.run(go()) == 1  # the failed origin's pool counted no request in flight


def test_idle_means_unused_since_the_last_response_closed(
        sites: tuple[FixtureServer, FixtureServer]) -> None:
    # A pool asked first but answered last must not shield a pool idle since before it.
    one, two = sites
    with FixtureServer() as three:
        a, b, c = one.add("/a", "a" * 300_000), two.add("/b", "b"), three.add("/c", "c")
        clock = Clock()

        async def go() -> tuple[int, int]:
            pools = HostPools(per_host=2, idle_close=60, clock=clock)
            async with httpx.AsyncClient(transport=pools) as client:
                async with client.stream("GET", a) as response:
                    await client.get(b)
                    clock.now += 61
                    await response.aread()  # a's request ends now, b's ended 61 s ago
                await client.get(c)
                assert wait_for(lambda: two.connections == 0)  # b's pool was closed
                return pools.open_pools, one.connections

        assert asyncio.run(go()) == (2, 1)  # a's and c's
