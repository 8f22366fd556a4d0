"""The alerts section: Slack, email and webhook channels and their routing."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from typing import Any

from .model import (
    CHANNEL_MODES,
    EMAIL_SECURITY,
    ROUTABLE_KINDS,
    Channel,
    EmailChannel,
    Routing,
    SlackChannel,
    WebhookChannel,
)
from .sections import _timezone
from .values import (
    _NO_TEXTS,
    _Checker,
    _describe,
    _join,
    _nonempty_text,
    _one_of,
    _port,
    _positive_int,
    _text,
    _text_list,
    parse_duration,
    parse_pause,
)

# An alert held longer than this is no longer immediate: that is what `mode: digest` is for.
MAX_GATHER = 15 * 60.0

_ROUTING_KEYS = ("entities", "kinds", "sources", "min_hits", "mode", "digest", "digest_at",
                 "timezone", "max_per_minute", "gather")
_SLACK_KEYS = ("kind", "name", "webhook", "timeout", *_ROUTING_KEYS)
_EMAIL_KEYS = ("kind", "name", "host", "port", "security", "username", "password", "from", "to",
               "timeout", *_ROUTING_KEYS)
_WEBHOOK_KEYS = ("kind", "name", "url", "headers", "timeout", *_ROUTING_KEYS)


def _channels(c: _Checker, raw: dict[str, Any], known: _Known | None = None
              ) -> tuple[tuple[Channel, ...], tuple[str, ...]]:
    channels: list[Channel] = []
    disabled: list[str] = []
    names: dict[str, str] = {}
    builders = {"slack": (_SLACK_KEYS, _slack), "email": (_EMAIL_KEYS, _email),
                "webhook": (_WEBHOOK_KEYS, _webhook)}
    for path, item in c.items(raw, "alerts", ""):
        if not isinstance(item, dict):
            c.mapping(item, path, ())
            continue
        kind = c.get(item, "kind", path, _one_of(*builders), "", required=True)
        if not kind:
            continue
        keys, build = builders[kind]
        d = c.mapping(item, path, keys)
        name = c.get(d, "name", path, _nonempty_text, kind)
        if name in names:
            c.error(f"{path}.name", f"channel name {name!r} is already used by {names[name]}; "
                                    "give each channel a distinct name")
        names[name] = path
        routing = _routing(c, d, path, known or _Known())
        channel, why_off = build(c, d, path, name)
        if channel is not None:
            channels.append(replace(channel, routing=routing))
        elif why_off:
            disabled.append(f"alert channel {name!r} ({kind}) is disabled: {why_off}")
    return tuple(channels), tuple(disabled)


@dataclass(frozen=True)
class _Known:
    """Names a routing filter may refer to (empty: not checked)."""

    entities: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


def _clock_time(value: Any) -> str:
    text = _nonempty_text(value)
    m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text)
    if not m:
        raise ValueError(f"{text!r} is not a time of day (use 24-hour HH:MM, e.g. \"08:00\")")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def _check_names(c: _Checker, where: str, given: tuple[str, ...], known: tuple[str, ...],
                 what: str) -> tuple[str, ...]:
    """Filters name things case-insensitively; a typo would silently never match."""
    if not known:
        return given
    by_key = {k.casefold(): k for k in known}
    out = []
    for i, name in enumerate(given):
        if name.casefold() in by_key:
            out.append(by_key[name.casefold()])
            continue
        hint = difflib.get_close_matches(name, known, n=1)
        did_you_mean = f" (did you mean {hint[0]!r}?)" if hint else ""
        c.error(f"{where}[{i}]", f"{name!r} is not a {what}{did_you_mean}")
    return tuple(out)


def _routing(c: _Checker, d: dict[str, Any], path: str, known: _Known) -> Routing:
    base = Routing()
    entities = _check_names(c, f"{path}.entities",
                            c.get(d, "entities", path, _text_list, _NO_TEXTS),
                            known.entities, "watchlist entity or rule name")
    sources = _check_names(c, f"{path}.sources",
                           c.get(d, "sources", path, _text_list, _NO_TEXTS),
                           known.sources, "source name")
    kinds = c.get(d, "kinds", path, _text_list, base.kinds)
    for i, kind in enumerate(kinds):
        if kind not in ROUTABLE_KINDS:
            why = " (a place alone never alerts)" if kind == "place" else ""
            c.error(f"{path}.kinds[{i}]", f"{kind!r} is not one of: "
                                          f"{', '.join(ROUTABLE_KINDS)}{why}")
    every = c.get(d, "digest", path, parse_duration, None)
    at = c.get(d, "digest_at", path, _clock_time, None)
    scheduled = every is not None or at is not None
    mode = c.get(d, "mode", path, _one_of(*CHANNEL_MODES), "digest" if scheduled else "immediate")
    if mode == "digest" and not scheduled:
        c.error(f"{path}.mode", "digest needs 'digest: 1h' (an interval) or 'digest_at: "
                                "\"08:00\"' (a daily time)")
    if mode == "immediate" and scheduled:
        c.error(f"{path}.mode", "'digest'/'digest_at' apply to mode: digest only")
    if every is not None and at is not None:
        c.error(path, "set either 'digest' (an interval) or 'digest_at' (a daily time), not both")
    gather = c.get(d, "gather", path, parse_pause, base.gather)
    if "gather" in d and mode == "digest":
        c.error(f"{path}.gather", "applies to mode: immediate only (a digest gathers every "
                                  "report of its period already)")
    elif gather > MAX_GATHER:
        c.error(f"{path}.gather", f"{d['gather']!r} is longer than 15m: an alert held that "
                                  "long is no longer immediate (use mode: digest)")
    return Routing(
        entities=entities, kinds=tuple(dict.fromkeys(kinds)), sources=sources,
        min_hits=c.get(d, "min_hits", path, _positive_int, base.min_hits), mode=mode,
        digest_every=every, digest_at=at,
        timezone=c.get(d, "timezone", path, _timezone, base.timezone),
        max_per_minute=c.get(d, "max_per_minute", path, _positive_int, base.max_per_minute),
        gather=gather)


def _slack(c: _Checker, d: dict[str, Any], path: str, name: str
           ) -> tuple[SlackChannel | None, str]:
    webhook = c.get(d, "webhook", path, _text, "", required="webhook" not in d)
    timeout = c.get(d, "timeout", path, parse_duration, 10.0)
    if not webhook:
        return None, f"{path}.webhook is empty (set the variable it names, e.g. SLACK_WEBHOOK_URL)"
    if not re.match(r"^https?://", webhook):
        # Never echo the value: it is a secret.
        c.error(f"{path}.webhook", "is not an http(s) URL")
        return None, ""
    return SlackChannel(name=name, webhook=webhook, timeout=timeout), ""


def _headers(c: _Checker, raw: Any, path: str) -> tuple[tuple[str, str], ...]:
    """Header name -> value; values may use ${VAR} and are never echoed (they are secrets)."""
    where = _join(path, "headers")
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        c.error(where, f"must be a mapping of header names to values, got {_describe(raw)}")
        return ()
    out = []
    for key in raw:
        name = str(key).strip()
        if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name):
            c.error(f"{where}.{key}", "is not a valid HTTP header name")
            continue
        text = c.get(raw, key, where, _text, "")
        if any(ch in text for ch in "\r\n\0"):
            c.error(f"{where}.{name}", "must be one line")  # value not shown: a secret
            continue
        out.append((name, text))
    return tuple(out)


def _webhook(c: _Checker, d: dict[str, Any], path: str, name: str
             ) -> tuple[WebhookChannel | None, str]:
    url = c.get(d, "url", path, _text, "", required="url" not in d)
    timeout = c.get(d, "timeout", path, parse_duration, 10.0)
    headers = _headers(c, d.get("headers"), path)
    if not url:
        return None, f"{path}.url is empty (set the variable it names, e.g. WEBHOOK_URL)"
    if not re.match(r"^https?://[^/\s]+", url, re.IGNORECASE):
        c.error(f"{path}.url", "is not an http(s) URL")  # never echo it: it may hold a token
        return None, ""
    return WebhookChannel(name=name, url=url, headers=headers, timeout=timeout), ""


def _email(c: _Checker, d: dict[str, Any], path: str, name: str
           ) -> tuple[EmailChannel | None, str]:
    host = c.get(d, "host", path, _text, "", required="host" not in d)
    security = c.get(d, "security", path, _one_of(*EMAIL_SECURITY), "starttls")
    default_port = {"none": 25, "starttls": 587, "tls": 465}[security]
    port = c.get(d, "port", path, _port, default_port)
    username = c.get(d, "username", path, _text, "") or None
    password = c.get(d, "password", path, _text, "") or None
    sender = c.get(d, "from", path, _text, "")
    to = c.get(d, "to", path, _text_list, _NO_TEXTS)
    timeout = c.get(d, "timeout", path, parse_duration, 20.0)
    if not host:
        return None, f"{path}.host is empty (set the variable it names, e.g. SMTP_HOST)"
    if not sender:
        c.error(f"{path}.from", "is required when host is set")
    elif "@" not in sender:
        c.error(f"{path}.from", f"{sender!r} is not an email address")
    if not to:
        c.error(f"{path}.to", "needs at least one recipient when host is set")
    for i, rcpt in enumerate(to):
        if "@" not in rcpt:
            c.error(f"{path}.to[{i}]", f"{rcpt!r} is not an email address")
    if bool(username) != bool(password):
        c.error(path, "username and password go together: set both or neither")
    return EmailChannel(name=name, host=host, port=port, security=security, sender=sender,
                        to=to, username=username, password=password, timeout=timeout), ""
