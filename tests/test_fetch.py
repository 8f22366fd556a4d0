"""The fetch client against a real local server: limits on time, size, redirects, addresses."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Iterator

import pytest

from monitor.config import FetchSettings
from monitor.errors import BlockedError, FetchError
from monitor.fetch import Fetcher, Response, is_public
from tests.fixture_server import FixtureServer

LOCAL = FetchSettings(allow_private_addresses=True, timeout=2.0, max_bytes=64 * 1024, delay=0,
                      retries=0)


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    with FixtureServer() as server:
        yield server


def get(url: str, settings: FetchSettings = LOCAL, **kwargs: str) -> Response:
    async def go() -> Response:
        async with Fetcher(settings) as fetcher:
            return await fetcher.get(url, **kwargs)

    return asyncio.run(go())


def test_plain_get_sends_user_agent(site: FixtureServer) -> None:
    response = get(site.add("/a", "hello", content_type="text/plain"))
    assert (response.status, response.body, response.content_type) == (200, b"hello",
                                                                        "text/plain")
    assert site.requests[0].headers["user-agent"].startswith("news-monitor/")


def test_conditional_get_returns_304(site: FixtureServer) -> None:
    url = site.add("/feed", "<rss/>", etag='"v1"')
    first = get(url)
    assert first.headers["etag"] == '"v1"'
    second = get(url, etag='"v1"')
    assert second.not_modified and second.body == b""
    assert site.requests[1].headers["if-none-match"] == '"v1"'


@pytest.mark.parametrize(("status", "reason"), [
    (404, "HTTP 404"), (500, "HTTP 500"), (403, "HTTP 403 (blocked? access forbidden)"),
    (429, "HTTP 429 (rate-limited: too many requests)")])
def test_error_status_is_a_short_reason(site: FixtureServer, status: int, reason: str) -> None:
    with pytest.raises(FetchError) as info:
        get(site.add("/x", "nope", status=status))
    assert str(info.value) == reason and info.value.status == status


def test_cloudflare_challenge_is_named(site: FixtureServer) -> None:
    page = "<html><title>Just a moment...</title><div id='challenge-platform'></div></html>"
    with pytest.raises(FetchError, match="Cloudflare/anti-bot challenge"):
        get(site.add("/cf", page, status=403))


def test_retry_after_is_parsed(site: FixtureServer) -> None:
    with pytest.raises(FetchError) as info:
        get(site.add("/busy", "", status=429, headers={"Retry-After": "120"}))
    assert info.value.retry_after == 120


def test_redirects_followed_and_bounded(site: FixtureServer) -> None:
    site.add("/final", "done")
    site.add("/r1", status=302, headers={"Location": "/final"})
    assert get(site.url("/r1")).url == site.url("/final")
    site.add("/loop", status=301, headers={"Location": "/loop"})
    with pytest.raises(BlockedError, match="too many redirects"):
        get(site.url("/loop"))
    assert site.hits("/loop") == LOCAL.max_redirects + 1


def test_redirect_to_other_scheme_refused(site: FixtureServer) -> None:
    site.add("/ftp", status=302, headers={"Location": "file:///etc/passwd"})
    with pytest.raises(BlockedError, match="only http/https"):
        get(site.url("/ftp"))


def test_size_limit_cuts_off(site: FixtureServer) -> None:
    with pytest.raises(FetchError, match="larger than"):
        get(site.add("/big", b"x" * (LOCAL.max_bytes + 1)))


def test_gzip_bomb_cut_off_after_decompression(site: FixtureServer) -> None:
    bomb = gzip.compress(b"\0" * (LOCAL.max_bytes * 20))
    assert len(bomb) < LOCAL.max_bytes  # small on the wire
    url = site.add("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="larger than"):
        get(url)


def test_timeout(site: FixtureServer) -> None:
    settings = FetchSettings(allow_private_addresses=True, timeout=0.5, retries=0)
    with pytest.raises(FetchError, match=r"timeout after 0.5 s"):
        get(site.add("/slow", "late", delay=2), settings)


def test_truncated_body_is_a_fetch_error(site: FixtureServer) -> None:
    with pytest.raises(FetchError, match="connection broken"):
        get(site.add("/cut", "<rss>partial", truncate=True))


def test_connection_refused(site: FixtureServer) -> None:
    url = site.url("/x")
    site.stop()
    with pytest.raises(FetchError, match="cannot connect"):
        get(url)


def test_private_addresses_refused_by_default(site: FixtureServer) -> None:
    url = site.add("/a", "hello")
    with pytest.raises(BlockedError, match=r"non-public address 127\.0\.0\.1"):
        get(url, FetchSettings())
    assert site.requests == []  # refused before any byte was sent


def test_redirect_to_private_address_refused(site: FixtureServer) -> None:
    # Even when the first hop is allowed, every hop is checked again.
    async def go() -> None:
        async with Fetcher(FetchSettings()) as fetcher:
            await fetcher._follow("http://169.254.169.254/latest/meta-data/", {})

    with pytest.raises(BlockedError, match=r"non-public address 169\.254\.169\.254"):
        asyncio.run(go())


@pytest.mark.parametrize(("address", "public"), [
    ("127.0.0.1", False), ("10.1.2.3", False), ("192.168.0.1", False), ("172.16.5.4", False),
    ("169.254.169.254", False), ("::1", False), ("fe80::1", False), ("::ffff:127.0.0.1", False),
    ("0.0.0.0", False), ("100.64.0.1", False), ("8.8.8.8", True), ("2606:4700::1111", True)])
def test_is_public(address: str, public: bool) -> None:
    assert is_public(address) is public


@pytest.mark.parametrize(("address", "public"), [
    # NAT64 (RFC 6052 well-known prefix, and RFC 8215's local-use prefix): the last 32 bits
    ("64:ff9b::7f00:1", False), ("64:ff9b::a00:1", False), ("64:ff9b::a9fe:a9fe", False),
    ("64:ff9b::808:808", True), ("64:ff9b:1::c0a8:1", False), ("64:ff9b:1::808:808", True),
    # IPv4-compatible (deprecated ::a.b.c.d)
    ("::127.0.0.1", False), ("::10.0.0.1", False), ("::169.254.169.254", False),
    ("::8.8.8.8", True),
    # 6to4: the IPv4 address in bits 16-48
    ("2002:7f00:1::", False), ("2002:a00:1::1", False), ("2002:c0a8:101::", False),
    ("2002:808:808::1", True),
    # Teredo: the client's (obfuscated) and the server's IPv4
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),
    # IPv4-mapped, with a scope suffix
    ("::ffff:10.0.0.1", False), ("fe80::1%eth0", False)])
def test_is_public_sees_embedded_ipv4(address: str, public: bool) -> None:
    assert is_public(address) is public
