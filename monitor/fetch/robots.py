"""robots.txt, parsed by protego and cached per host for `ttl` seconds."""

from __future__ import annotations

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
                 fetch_text: Callable[[str], Awaitable[str | None]]):
        self.user_agent = user_agent
        self.ttl = ttl
        self._fetch_text = fetch_text
        self._cache: dict[str, tuple[float, Protego | None]] = {}

    async def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        expires, rules = self._cache.get(origin, (0.0, None))
        if time.monotonic() >= expires:
            rules, lifetime = await self._load(origin)
            self._cache[origin] = (time.monotonic() + lifetime, rules)
        return rules is None or rules.can_fetch(url, self.user_agent)

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
