"""Retry/back-off decisions, politeness slots, robots.txt and the domain policy."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from monitor.config import FetchSettings
from monitor.errors import FetchError
from monitor.fetch import Fetcher, Response
from monitor.fetch.domains import allowed_domains, is_followable, registered_domain
from monitor.fetch.pools import HostPools
from monitor.fetch.retry import article_gone, backoff_delay, parse_retry_after, retry_delay
from monitor.fetch.robots import RobotsCache
from monitor.pipeline import run_once
from monitor.store import Store
from tests.fixture_server import FixtureServer
from tests.test_sources import make_config, rss

RSS = rss()

NOW = datetime(2026, 1, 3, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"attempt": 1, "retries": 2, "status": 503}, 1.0),
    ({"attempt": 2, "retries": 2, "status": 502}, 2.0),
    ({"attempt": 3, "retries": 2, "status": 503}, None),  # budget spent
    ({"attempt": 1, "retries": 2, "transient": True}, 1.0),  # connect error, timeout
    ({"attempt": 1, "retries": 2, "status": 404}, None),
    ({"attempt": 1, "retries": 2, "status": 403}, None),
    ({"attempt": 1, "retries": 2, "status": 408}, 1.0),
    ({"attempt": 1, "retries": 2, "status": 429, "retry_after": 5.0}, 5.0),
    ({"attempt": 1, "retries": 2, "status": 429, "retry_after": 3600.0}, None),  # next poll
    ({"attempt": 1, "retries": 0, "status": 503}, None),
])
def test_retry_delay(kwargs: dict[str, object], expected: float | None) -> None:
    assert retry_delay(**kwargs) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("status", "gone"), [
    (404, True), (410, True), (403, False), (429, False), (500, False), (503, False),
    (None, False)])  # None: a connection error or timeout
def test_article_gone_only_for_404_and_410(status: int | None, gone: bool) -> None:
    assert article_gone(status) is gone


@pytest.mark.parametrize(("value", "seconds"), [
    ("120", 120.0), (" 7 ", 7.0), ("Sat, 03 Jan 2026 12:02:00 GMT", 120.0),
    ("Sat, 03 Jan 2026 11:00:00 GMT", 0.0), ("soon", None), ("", None), (None, None)])
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


@pytest.mark.parametrize(("failures", "expected"), [
    (0, 600), (1, 600), (2, 1200), (3, 2400), (6, 19200), (7, 21600), (50, 21600)])
def test_backoff_doubles_up_to_cap_and_never_gives_up(failures: int, expected: float) -> None:
    assert backoff_delay(600, failures, cap=21600) == expected


def test_backoff_honours_long_retry_after() -> None:
    assert backoff_delay(600, 1, cap=21600, retry_after=3600) == 3600
    assert backoff_delay(600, 1, cap=21600, retry_after=10 ** 6) == 21600


@pytest.mark.parametrize(("host", "domain"), [
    ("www.shafaq.com", "shafaq.com"), ("shafaq.com", "shafaq.com"),
    ("en.964media.com", "964media.com"), ("news.bbc.co.uk", "bbc.co.uk"),
    ("127.0.0.1", "127.0.0.1"), ("WWW.Rudaw.NET.", "rudaw.net")])
def test_registered_domain(host: str, domain: str) -> None:
    assert registered_domain(host) == domain


def test_follow_policy() -> None:
    own = allowed_domains("https://www.shafaq.com/rss/en", ())
    assert is_followable("https://shafaq.com/en/Iraq/x", own)
    assert is_followable("https://media.shafaq.com/a", own)
    assert not is_followable("https://evilshafaq.com/a", own)
    assert not is_followable("https://shafaq.com.evil.net/a", own)
    extra = allowed_domains("https://feeds.example.net/x", ("example.org",))
    assert is_followable("https://www.example.org/a", extra)
    assert not is_followable("https://feeds.example.net/a", extra)


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    with FixtureServer() as server:
        yield server


def fetch(url: str, settings: FetchSettings) -> Response:
    async def go() -> Response:
        async with Fetcher(settings) as fetcher:
            return await fetcher.get(url)

    return asyncio.run(go())


def test_retryable_status_is_retried_then_succeeds(site: FixtureServer) -> None:
    url = site.add("/flaky", "ok", fail_times=2, fail_status=503)
    settings = FetchSettings(allow_private_addresses=True, delay=0, retries=2)
    assert fetch(url, settings).body == b"ok"
    assert site.hits("/flaky") == 3


def test_retry_after_is_waited_for(site: FixtureServer) -> None:
    url = site.add("/limited", "ok", fail_times=1, fail_status=429,
                   fail_headers={"Retry-After": "1"})
    fetch(url, FetchSettings(allow_private_addresses=True, delay=0, retries=2))
    first, second = site.times("/limited")
    assert second - first >= 1.0  # a lower bound: a slow machine cannot break it


def test_permanent_status_not_retried(site: FixtureServer) -> None:
    url = site.add("/gone", "no", status=404)
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch(url, FetchSettings(allow_private_addresses=True, delay=0, retries=3))
    assert site.hits("/gone") == 1


def test_endless_body_cut_off_at_size_limit(site: FixtureServer) -> None:
    url = site.add("/endless", endless=True)
    settings = FetchSettings(allow_private_addresses=True, delay=0, retries=0,
                             max_bytes=1024 * 1024)
    with pytest.raises(FetchError, match="larger than 1 MB"):
        fetch(url, settings)


def test_connection_reset_is_transient_and_retried(site: FixtureServer) -> None:
    site.add("/reset", reset=True)
    with pytest.raises(FetchError) as info:
        fetch(site.url("/reset"), FetchSettings(allow_private_addresses=True, delay=0,
                                                retries=1))
    assert info.value.transient
    assert site.hits("/reset") == 2


class StartTimes(HostPools):
    """The shipped transport, noting when each request is handed to it: the start the host
    slot spaces (the server's arrival times add connection set-up noise)."""

    def __init__(self, per_host: int) -> None:
        super().__init__(per_host)
        self.starts: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.starts.append(time.monotonic())
        return await super().handle_async_request(request)


def test_per_host_slot_limits_concurrency_and_spaces_requests(site: FixtureServer) -> None:
    for i in range(6):
        site.add(f"/p{i}", "x", delay=0.3)
    settings = FetchSettings(allow_private_addresses=True, per_host=2, delay=0.2, retries=0,
                             concurrency=10)
    transport = StartTimes(settings.per_host)

    async def go() -> None:
        async with Fetcher(settings, transport) as fetcher:
            await asyncio.gather(*(fetcher.get(site.url(f"/p{i}")) for i in range(6)))

    asyncio.run(go())
    assert site.max_in_flight <= 2 and site.hits("/p5") == 1
    gaps = [b - a for a, b in itertools.pairwise(transport.starts)]
    # Minimum spacing between starts. Starts are seen at the transport, a hop after the
    # politeness slot lets a request go, so on a loaded machine one start can be recorded a
    # few ms late and the gap after it look short; without spacing the gaps would be ~0.
    assert len(gaps) == 5 and min(gaps) >= 0.2 * 0.9


def test_other_hosts_are_not_slowed_by_a_busy_host() -> None:
    with FixtureServer("127.0.0.1") as a, FixtureServer("127.0.0.2") as b:
        a.add("/slow", "x", delay=1.0)
        b.add("/fast", "y")
        settings = FetchSettings(allow_private_addresses=True, per_host=1, delay=0,
                                 retries=0)

        async def go() -> None:
            async with Fetcher(settings) as fetcher:
                await asyncio.gather(fetcher.get(a.url("/slow")), fetcher.get(a.url("/slow")),
                                     fetcher.get(b.url("/fast")))

        asyncio.run(go())
        # The fast host's request started before the slow host's second request.
        assert b.times("/fast")[0] < sorted(a.times("/slow"))[1]
        assert a.max_in_flight == 1


def test_robots_txt_is_cached_and_obeyed(site: FixtureServer) -> None:
    site.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")

    async def go() -> list[bool]:
        async with Fetcher(FetchSettings(allow_private_addresses=True, delay=0)) as fetcher:
            return [await fetcher.robots.allowed(site.url(p))
                    for p in ("/private/rss", "/public/rss", "/private/x")]

    assert asyncio.run(go()) == [False, True, False]
    assert site.hits("/robots.txt") == 1


def test_missing_robots_txt_allows_everything(site: FixtureServer) -> None:
    async def go() -> bool:
        async with Fetcher(FetchSettings(allow_private_addresses=True, delay=0)) as fetcher:
            return await fetcher.robots.allowed(site.url("/anything"))

    assert asyncio.run(go()) is True


def test_robots_txt_fetched_once_per_host_for_sources_polled_together(
        tmp_path: Path, site: FixtureServer) -> None:
    site.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    sources = []
    for i in range(3):
        site.add(f"/feed{i}", RSS, content_type="application/rss+xml")
        sources.append(f"  - {{name: S{i}, kind: rss, url: '{site.url(f'/feed{i}')}'}}")
    config = make_config(tmp_path, "\n".join(sources))
    with Store(tmp_path / "m.db") as store:
        report = asyncio.run(run_once(config, store))
    assert all(s.ok for s in report.sources)
    assert [site.hits(f"/feed{i}") for i in range(3)] == [1, 1, 1]
    assert site.hits("/robots.txt") == 1


def test_robots_cache_expires_after_its_ttl() -> None:
    clock = [0.0]
    fetched: list[str] = []

    async def text(url: str) -> str:
        fetched.append(url)
        await asyncio.sleep(0.01)  # the others ask meanwhile
        return "User-agent: *\nDisallow: /no/\n"

    async def go() -> None:
        cache = RobotsCache("news-monitor", 3600, text, clock=lambda: clock[0])
        asked = [cache.allowed(f"http://news.test/{p}") for p in ("a", "no/b", "c", "no/d")]
        assert await asyncio.gather(*asked) == [True, False, True, False]
        clock[0] = 3599
        assert await cache.allowed("http://news.test/e") and len(fetched) == 1
        clock[0] = 3601
        assert await cache.allowed("http://news.test/e") and len(fetched) == 2
        assert await cache.allowed("https://news.test/e") and len(fetched) == 3  # its origin

    asyncio.run(go())


@pytest.mark.parametrize(("crawl_delay", "expected"), [("0.4", 0.4), ("3600", 0.6)])
def test_crawl_delay_spaces_requests_to_the_host_within_the_cap(
        site: FixtureServer, crawl_delay: str, expected: float) -> None:
    site.add("/robots.txt", f"User-agent: *\nCrawl-delay: {crawl_delay}\n",
             content_type="text/plain")
    for i in range(3):
        site.add(f"/p{i}", "x")
    settings = FetchSettings(allow_private_addresses=True, per_host=2, delay=0, retries=0,
                             max_crawl_delay=0.6)
    transport = StartTimes(settings.per_host)

    async def go() -> None:
        async with Fetcher(settings, transport) as fetcher:
            assert await fetcher.robots.allowed(site.url("/p0"))
            await asyncio.gather(*(fetcher.get(site.url(f"/p{i}")) for i in range(3)))

    asyncio.run(go())
    gaps = [b - a for a, b in itertools.pairwise(transport.starts[1:])]  # after robots.txt
    assert len(gaps) == 2 and expected * 0.99 <= min(gaps) and max(gaps) < expected * 2
