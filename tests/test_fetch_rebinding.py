"""DNS rebinding: a connection goes to the address that was checked, never to a second
answer for the same name."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterator
from typing import Any

import httpcore
import httpx
import pytest

from monitor.config import FetchSettings
from monitor.errors import BlockedError, FetchError
from monitor.fetch import Fetcher
from monitor.fetch.connect import CheckedBackend
from monitor.fetch.pools import HostPools
from tests.fixture_server import FixtureServer

PUBLIC = "93.184.216.34"
STRICT = FetchSettings(timeout=2.0, delay=0, retries=0)  # private addresses refused


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    with FixtureServer() as server:
        yield server


def test_name_that_rebinds_to_loopback_is_not_fetched(site: FixtureServer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    site.add("/a", "local secret")
    port = int(site.base.rsplit(":", 1)[1])
    lookups: list[str] = []
    connects: list[str] = []
    system_lookup = asyncio.BaseEventLoop.getaddrinfo
    plain_connect = httpcore.AnyIOBackend.connect_tcp

    async def rebinding_dns(loop: Any, host: Any, port: Any, **kwargs: Any) -> Any:
        if host not in ("rebind.test", b"rebind.test"):
            return await system_lookup(loop, host, port, **kwargs)
        lookups.append(host)
        # The classic rebinding answer: public to the first lookup, loopback after.
        address = PUBLIC if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]

    async def connect(self: Any, host: str, port: int, **kwargs: Any) -> Any:
        connects.append(host)
        if host == PUBLIC:  # no network in tests: the checked address does not answer
            raise httpcore.ConnectError("no route to host (test)")
        return await plain_connect(self, host, port, **kwargs)

    # The one resolver everything here uses: our check, and anyio's connect by name.
    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", rebinding_dns)
    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", connect)

    async def go() -> None:
        async with Fetcher(STRICT) as fetcher:
            await fetcher.get(f"http://rebind.test:{port}/a")

    with pytest.raises(FetchError, match=r"cannot connect to rebind\.test"):
        asyncio.run(go())
    assert site.requests == []  # the loopback answer was never used
    assert connects == [PUBLIC] and len(lookups) == 1  # resolved once, connected to that


def test_the_checked_address_is_used_and_the_host_name_kept(site: FixtureServer) -> None:
    site.add("/a", "hello")
    port = int(site.base.rsplit(":", 1)[1])
    asked: list[str] = []

    async def dns(host: str) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    async def go() -> bytes:
        settings = FetchSettings(allow_private_addresses=True, timeout=2.0, delay=0)
        async with Fetcher(settings, resolve=dns) as fetcher:
            return (await fetcher.get(f"http://news.test:{port}/a")).body

    assert asyncio.run(go()) == b"hello"
    assert asked == ["news.test"]
    assert site.requests[0].headers["host"] == f"news.test:{port}"


@pytest.mark.parametrize("answer", [["127.0.0.1"], [PUBLIC, "10.0.0.7"], ["64:ff9b::a00:7"]])
def test_any_non_public_answer_refuses_the_host(site: FixtureServer, answer: list[str]) -> None:
    async def dns(host: str) -> list[str]:
        return answer

    async def go() -> None:
        async with Fetcher(STRICT, resolve=dns) as fetcher:
            await fetcher.get("http://news.test/a")

    with pytest.raises(BlockedError, match=r"refused: news\.test resolves to non-public"):
        asyncio.run(go())


class _Recorder(httpcore.AsyncNetworkBackend):
    """Notes where a connection goes and the TLS server name it asks for, then stops."""

    def __init__(self) -> None:
        self.connected: list[tuple[str, int]] = []
        self.server_names: list[str | None] = []

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        self.connected.append((host, port))
        recorder = self

        class Stream(httpcore.AsyncNetworkStream):
            async def start_tls(self, ssl_context: ssl.SSLContext,
                                server_hostname: str | None = None,
                                timeout: float | None = None) -> httpcore.AsyncNetworkStream:
                recorder.server_names.append(server_hostname)
                raise httpcore.ConnectError("stop here (test)")

            async def aclose(self) -> None:
                pass

        return Stream()


def test_tls_server_name_is_the_host_while_the_socket_goes_to_its_address() -> None:
    async def dns(host: str) -> list[str]:
        return [PUBLIC]

    recorder = _Recorder()

    async def go() -> None:
        pools = HostPools(2, network_backend=CheckedBackend(False, dns, inner=recorder))
        async with httpx.AsyncClient(transport=pools) as client:
            await client.get("https://news.test/a")

    with pytest.raises(httpx.ConnectError, match="stop here"):
        asyncio.run(go())
    assert recorder.connected == [(PUBLIC, 443)]
    assert recorder.server_names == ["news.test"]
