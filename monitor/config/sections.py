"""The daemon-wide sections and the sources: fetch, status, retention, stories, sources."""

from __future__ import annotations

from typing import Any

from .model import (
    SOURCE_KINDS,
    ArticleSelectors,
    FetchSettings,
    MatchSettings,
    Retention,
    Source,
    StatusSettings,
    StorySettings,
)
from .values import (
    _NO_TEXTS,
    _bool,
    _Checker,
    _count,
    _css_selector,
    _http_url,
    _nonempty_text,
    _one_of,
    _positive_int,
    _regex,
    _text,
    _text_list,
    parse_duration,
    parse_pause,
    parse_size,
)

_TOP_KEYS = ("database", "fetch", "defaults", "sources", "watchlists", "alerts", "status",
             "retention", "log_format", "stories", "matching")
_FETCH_KEYS = ("user_agent", "timeout", "allow_private_addresses", "max_size", "max_redirects",
               "concurrency", "per_host", "delay", "retries", "backoff_cap", "down_after",
               "robots_ttl", "max_crawl_delay")
_SOURCE_KEYS = ("name", "kind", "url", "every", "language", "links", "link_pattern",
                "fetch_articles", "max_new_articles", "enabled", "article", "timezone",
                "dateline", "follow_domains", "robots", "max_age")
_SELECTOR_KEYS = ("title", "body", "date", "author", "drop")


def _fetch_settings(c: _Checker, raw: Any) -> FetchSettings:
    d = c.mapping(raw, "fetch", _FETCH_KEYS)
    base = FetchSettings()
    return FetchSettings(
        user_agent=c.get(d, "user_agent", "fetch", _nonempty_text, base.user_agent),
        timeout=c.get(d, "timeout", "fetch", parse_duration, base.timeout),
        allow_private_addresses=c.get(d, "allow_private_addresses", "fetch", _bool,
                                      base.allow_private_addresses),
        max_bytes=c.get(d, "max_size", "fetch", parse_size, base.max_bytes),
        max_redirects=c.get(d, "max_redirects", "fetch", _positive_int, base.max_redirects),
        concurrency=c.get(d, "concurrency", "fetch", _positive_int, base.concurrency),
        per_host=c.get(d, "per_host", "fetch", _positive_int, base.per_host),
        delay=c.get(d, "delay", "fetch", parse_pause, base.delay),
        retries=c.get(d, "retries", "fetch", _count, base.retries),
        backoff_cap=c.get(d, "backoff_cap", "fetch", parse_duration, base.backoff_cap),
        down_after=c.get(d, "down_after", "fetch", parse_duration, base.down_after),
        robots_ttl=c.get(d, "robots_ttl", "fetch", parse_duration, base.robots_ttl),
        max_crawl_delay=c.get(d, "max_crawl_delay", "fetch", parse_pause,
                              base.max_crawl_delay),
    )


def _listen(value: Any) -> str | None:
    text = _text(value)
    if not text:  # "${MONITOR_STATUS_LISTEN:-}" with the variable unset: endpoint off
        return None
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r} is not host:port (e.g. 127.0.0.1:8321)")
    if not host:
        raise ValueError(f"{text!r} has no host; write 127.0.0.1:{port} to stay local")
    return text


def _keep_for(value: Any) -> float | None:
    if isinstance(value, str) and value.strip().lower() in ("never", "forever", "keep"):
        return None
    return parse_duration(value)


def _sections(c: _Checker, top: dict[str, Any]) -> dict[str, Any]:
    """The daemon-wide sections: status endpoint, retention, log format, stories."""
    st = c.mapping(top.get("status"), "status", ("listen",))
    rt = c.mapping(top.get("retention"), "retention", ("bodies", "articles"))
    sy = c.mapping(top.get("stories"), "stories", ("window",))
    ma = c.mapping(top.get("matching"), "matching", ("cross_script",))
    base = Retention()
    return {
        "status": StatusSettings(listen=c.get(st, "listen", "status", _listen, None)),
        "retention": Retention(
            bodies=c.get(rt, "bodies", "retention", _keep_for, base.bodies),
            articles=c.get(rt, "articles", "retention", _keep_for, base.articles)),
        "log_format": c.get(top, "log_format", "", _one_of("text", "json"), "text"),
        "stories": StorySettings(window=c.get(sy, "window", "stories", parse_duration,
                                              StorySettings().window)),
        "matching": MatchSettings(cross_script=c.get(ma, "cross_script", "matching", _bool,
                                                     MatchSettings().cross_script)),
    }


def _sources(c: _Checker, raw: dict[str, Any], default_every: float) -> tuple[Source, ...]:
    sources: list[Source] = []
    seen: dict[str, str] = {}
    for path, item in c.items(raw, "sources", ""):
        d = c.mapping(item, path, _SOURCE_KEYS)
        if not d:
            if item is not None and not isinstance(item, dict):
                continue
            c.error(path, "is empty; a source needs at least name, kind and url")
            continue
        name = c.get(d, "name", path, _nonempty_text, "", required=True)
        kind = c.get(d, "kind", path, _one_of(*SOURCE_KINDS), "rss", required=True)
        links = c.get(d, "links", path, _css_selector, None)
        pattern = c.get(d, "link_pattern", path, _regex, None)
        if kind == "html" and links is None and pattern is None and "links" not in d:
            c.error(path, "an html source needs 'links' (a CSS selector) or 'link_pattern'")
        if kind != "html" and links:
            c.error(path, "'links' applies to kind: html only")
        if kind == "rss" and pattern:
            c.error(path, "'link_pattern' applies to kind: html or sitemap only")
        if name in seen:
            c.error(f"{path}.name", f"{name!r} is already used by {seen[name]}")
        elif name:
            seen[name] = path
        sources.append(Source(
            name=name,
            kind=kind,
            url=c.get(d, "url", path, _http_url, "", required=True),
            every=c.get(d, "every", path, parse_duration, default_every),
            language=c.get(d, "language", path, _nonempty_text, None),
            links=links,
            link_pattern=pattern,
            fetch_articles=c.get(d, "fetch_articles", path, _bool, True),
            max_new_articles=c.get(d, "max_new_articles", path, _positive_int, 50),
            enabled=c.get(d, "enabled", path, _bool, True),
            article=_selectors(c, d.get("article"), f"{path}.article"),
            timezone=c.get(d, "timezone", path, _timezone, None),
            dateline=c.get(d, "dateline", path, _regex, None),
            follow_domains=tuple(x.lower().lstrip(".") for x in
                                 c.get(d, "follow_domains", path, _text_list, _NO_TEXTS)),
            robots=c.get(d, "robots", path, _bool, True),
            max_age=c.get(d, "max_age", path, parse_duration, 2 * 86400.0),
        ))
    return tuple(sources)


def _selectors(c: _Checker, raw: Any, path: str) -> ArticleSelectors | None:
    if raw is None:
        return None
    d = c.mapping(raw, path, _SELECTOR_KEYS)
    single = {key: c.get(d, key, path, _css_selector, None) for key in _SELECTOR_KEYS[:4]}
    drop = c.get(d, "drop", path, _text_list, _NO_TEXTS)
    for i, selector in enumerate(drop):
        try:
            _css_selector(selector)
        except ValueError as exc:
            c.error(f"{path}.drop[{i}]", str(exc))
    return ArticleSelectors(drop=drop, **single)


def _timezone(value: Any) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = _nonempty_text(value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone (use an IANA name such as "
                         "Asia/Baghdad)") from None
    return name
