"""robots.txt, parsed by protego and cached per origin for `ttl` seconds.

One fetch at a time per origin: sources on one host polled together wait for the first
one's robots.txt instead of each fetching it. (The file is per origin - scheme, host and
port - as RFC 9309 says; sources of one outlet share it.) A Crawl-delay in it is handed to
`on_crawl_delay`, which spaces the host's requests.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from protego import Protego

from ..errors import FetchError

# A robots.txt that cannot be fetched because it does not exist (4xx) allows everything;
# a server error or timeout is treated the same so that a flaky robots.txt does not stop a
# feed, but it is re-checked sooner.
_RETRY_UNAVAILABLE = 600.0


class RobotsCache:
    def __init__(self, user_agent: str, ttl: float,
                 fetch_text: Callable[[str], Awaitable[str | None]],
                 on_crawl_delay: Callable[[str, float | None], None] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.user_agent = user_agent
        self.ttl = ttl
        self._fetch_text = fetch_text
        self._on_crawl_delay = on_crawl_delay
        self._clock = clock
        self._cache: dict[str, tuple[float, Protego | None]] = {}
        self._loading: dict[str, asyncio.Lock] = {}

    async def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        rules = await self._rules(f"{parts.scheme}://{parts.netloc}", parts.hostname or "")
        return rules is None or rules.can_fetch(url, self.user_agent)

    async def _rules(self, origin: str, host: str) -> Protego | None:
        cached = self._fresh(origin)
        if cached is not None:
            return cached[1]
        async with self._loading.setdefault(origin, asyncio.Lock()):
            cached = self._fresh(origin)  # loaded while this one waited
            if cached is not None:
                return cached[1]
            rules, lifetime = await self._load(origin)
            self._cache[origin] = (self._clock() + lifetime, rules)
        if self._on_crawl_delay is not None:
            delay = rules.crawl_delay(self.user_agent) if rules is not None else None
            self._on_crawl_delay(host, delay)
        return rules

    def _fresh(self, origin: str) -> tuple[float, Protego | None] | None:
        cached = self._cache.get(origin)
        return cached if cached is not None and self._clock() < cached[0] else None

    async def _load(self, origin: str) -> tuple[Protego | None, float]:
        try:
            text = await self._fetch_text(origin + "/robots.txt")
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                return None, self.ttl
            return None, _RETRY_UNAVAILABLE
        if text is None:
            return None, self.ttl
        return Protego.parse(text), self.ttl
