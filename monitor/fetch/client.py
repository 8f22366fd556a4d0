"""HTTP fetching: one shared httpx.AsyncClient, bounded in time, size and redirects."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from ..config import FetchSettings
from ..errors import BlockedError, FetchError
from .connect import CheckedBackend
from .politeness import HostSlots
from .pools import HostPools
from .retry import parse_retry_after, retry_delay
from .robots import RobotsCache
from .safety import Resolver, check_scheme, system_resolver

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class Response:
    url: str  # after redirects
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def describe_status(status: int, body: bytes = b"") -> str:
    """A short, human-readable reason for a failed HTTP status."""
    if status in (403, 429, 503) and _looks_like_challenge(body):
        return f"HTTP {status} (blocked? Cloudflare/anti-bot challenge page)"
    if status == 403:
        return "HTTP 403 (blocked? access forbidden)"
    if status == 429:
        return "HTTP 429 (rate-limited: too many requests)"
    return f"HTTP {status}"


def _looks_like_challenge(body: bytes) -> bool:
    head = body[:20000].lower()
    return any(marker in head for marker in (
        b"cf-browser-verification", b"challenge-platform", b"just a moment...",
        b"attention required! | cloudflare", b"cf_chl_", b"ddos-guard"))


class Fetcher:
    """Fetches URLs with the configured limits. Use as an async context manager."""

    def __init__(self, settings: FetchSettings, transport: HostPools | None = None,
                 resolve: Resolver = system_resolver):
        """`transport`: the per-host pools (tests watch requests with a subclass);
        `resolve`: host name -> addresses (tests stand in for DNS with it)."""
        self.settings = settings
        pools = transport or HostPools(settings.per_host)
        # Connections go only to addresses checked when connecting (connect.py).
        pools.network_backend = CheckedBackend(settings.allow_private_addresses, resolve)
        self._client = httpx.AsyncClient(
            headers={"User-Agent": settings.user_agent,
                     "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(settings.timeout),
            follow_redirects=False,  # each hop is checked by us
            transport=pools,
        )
        self._global = asyncio.Semaphore(settings.concurrency)
        self._hosts = HostSlots(settings.per_host, settings.delay)
        self.robots = RobotsCache(settings.user_agent, settings.robots_ttl, self._robots_text,
                                  on_crawl_delay=self._crawl_delay)

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get(self, url: str, *, etag: str | None = None,
                  last_modified: str | None = None) -> Response:
        """GET `url`, following at most `max_redirects` checked redirects.

        Returns 2xx and 304 responses; raises FetchError for anything else.
        """
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._follow(url, headers)
            except BlockedError:
                raise
            except FetchError as exc:
                wait = retry_delay(attempt=attempt, retries=self.settings.retries,
                                   status=exc.status, transient=exc.transient,
                                   retry_after=exc.retry_after)
                if wait is None:
                    raise
            await asyncio.sleep(wait)

    def _crawl_delay(self, host: str, seconds: float | None) -> None:
        """A robots.txt's Crawl-delay, honoured between our own delay and the cap."""
        if seconds is None or seconds <= self.settings.delay:
            self._hosts.set_delay(host, None)
        else:
            self._hosts.set_delay(host, min(seconds, self.settings.max_crawl_delay))

    async def _robots_text(self, url: str) -> str | None:
        response = await self._follow(url, {})
        if response.not_modified:
            return None
        return response.body[:512 * 1024].decode("utf-8", "replace")

    async def _follow(self, url: str, headers: dict[str, str]) -> Response:
        for _hop in range(self.settings.max_redirects + 1):
            check_scheme(url)  # the address is checked when connecting (connect.py)
            response = await self._get_once(url, headers)
            if response.status not in REDIRECT_CODES:
                if response.status == 304 or 200 <= response.status < 300:
                    return response
                raise FetchError(describe_status(response.status, response.body), url=url,
                                 status=response.status,
                                 retry_after=parse_retry_after(response.headers.get("retry-after")))
            location = response.headers.get("location")
            if not location:
                raise FetchError(f"HTTP {response.status} redirect without Location", url=url,
                                 status=response.status)
            url = urljoin(url, location)
        raise BlockedError(f"too many redirects (more than {self.settings.max_redirects})",
                           url=url)

    async def _get_once(self, url: str, headers: dict[str, str]) -> Response:
        host = urlsplit(url).hostname or ""
        limit = self.settings.max_bytes
        async with self._hosts.slot(host), self._global:
            try:
                # The total deadline stops servers that trickle bytes under the read timeout.
                async with asyncio.timeout(self.settings.timeout), \
                        self._client.stream("GET", url, headers=headers) as resp:
                    body = bytearray()
                    # aiter_bytes yields decompressed data: the cap holds after gzip too.
                    async for chunk in resp.aiter_bytes():
                        body.extend(chunk)
                        if len(body) > limit:
                            raise FetchError(
                                f"response larger than {limit / 1048576:g} MB (cut off)", url=url)
                    return Response(url=str(resp.url), status=resp.status_code, body=bytes(body),
                                    headers={k.lower(): v for k, v in resp.headers.items()})
            except BlockedError as exc:  # from connect.py, which knows no URL
                raise BlockedError(str(exc), url=url) from None
            except (httpx.TimeoutException, TimeoutError):
                raise FetchError(f"timeout after {self.settings.timeout:g} s", url=url,
                                 transient=True) from None
            except httpx.DecodingError:
                raise FetchError("broken compressed body", url=url) from None
            except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
                raise FetchError(f"connection broken: {_first_line(exc)}", url=url,
                                 transient=True) from None
            except httpx.ConnectError as exc:
                raise FetchError(f"cannot connect to {host}: {_first_line(exc)}",
                                 url=url, transient=True) from None
            except httpx.HTTPError as exc:
                raise FetchError(f"{type(exc).__name__}: {_first_line(exc)}", url=url) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__

