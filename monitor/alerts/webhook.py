"""Generic JSON webhook channel: one documented payload, POSTed with httpx.

For Teams/Discord/Mattermost bridges or your own systems. The payload (README, "Alerts"):

    {"type": "alert" | "notice" | "digest" | "test", "title", "url", "source", "published",
     "language", "entities": [...], "hits": [{"entity", "kind", "text", "snippet"}],
     "also_reported_by": [report], "earlier_reports": [report],
     "stories": [story]  # digests and throttle summaries only
     "reason": "digest" | "throttled"  # digests only}

    report = {"source", "title", "url", "published",
              "story"}  # story: the earlier alert's headline when it is another story
    story  = {"title", "url", "source", "published", "entities", "also_reported_by"}

Values are plain text (JSON-escaped, no markup); snippets keep the matcher's **marks**.
The URL and the header values are secrets: errors name the host only, and any echo of
them in a response body is scrubbed before it reaches an error message.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from monitor import __version__
from monitor.config import WebhookChannel
from monitor.errors import AlertError, PermanentAlertError

from .message import AlertMessage, DigestMessage, Message, Report, StoryEntry, one_line, truncate
from .slack import _read_prefix, connect_failure, parse_retry_after, webhook_host

log = logging.getLogger(__name__)

USER_AGENT = f"news-monitor/{__version__}"
MAX_BODY_IN_ERROR = 200


def _report(report: Report) -> dict[str, Any]:
    return {"source": report.source, "title": report.title, "url": report.url,
            "published": report.published, "story": report.story}


def _story(entry: StoryEntry) -> dict[str, Any]:
    return {**_report(entry.first), "entities": list(entry.entities),
            "also_reported_by": [_report(r) for r in entry.others]}


def build_webhook_payload(message: Message) -> dict[str, Any]:
    """The JSON body for any message; see the module docstring for the schema."""
    if isinstance(message, DigestMessage):
        entries = list({id(e): e for _, group in message.sections for e in group}.values())
        entities = list(dict.fromkeys(n for e in entries for n in e.entities))
        return {"type": "test" if message.test else "digest", "title": message.title,
                "url": None, "source": None, "published": None, "language": None,
                "entities": entities, "hits": [],
                "also_reported_by": [_report(r) for r in message.also], "earlier_reports": [],
                "stories": [_story(e) for e in entries],
                "reason": "throttled" if message.kind == "summary" else "digest"}
    return _alert_payload(message)


def _alert_payload(message: AlertMessage) -> dict[str, Any]:
    return {"type": "test" if message.test else message.kind, "title": message.title,
            "url": message.url, "source": message.source, "published": message.published,
            "language": message.language, "entities": message.entities(),
            "hits": [{"entity": h.entity, "kind": h.kind, "text": h.matched_text,
                      "snippet": h.snippet} for h in message.ordered_hits()],
            "also_reported_by": [_report(r) for r in message.also],
            "earlier_reports": [_report(r) for r in message.earlier]}


def _scrub(text: str, channel: WebhookChannel) -> str:
    """Remove the URL (and its path/query) and every header value from a server's reply."""
    parts = urlsplit(channel.url)
    secrets = [channel.url, parts.path, parts.query, parts.path.rstrip("/").rsplit("/", 1)[-1],
               *(value for _, value in parse_qsl(parts.query)),
               *(value for _, value in channel.headers),
               *(value.split()[-1] for _, value in channel.headers if value.split())]
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:  # a tiny "secret" would shred ordinary words
            text = text.replace(secret, "…")
    return text


def _temporary(text: str, retry_after: float | None = None) -> AlertError:
    err = AlertError(text)
    err.retry_after = retry_after  # type: ignore[attr-defined]  # read by the dispatcher
    return err


def _status_error(status: int, headers: httpx.Headers, body: bytes, host: str,
                  channel: WebhookChannel) -> AlertError:
    excerpt = truncate(one_line(_scrub(body.decode("utf-8", "replace"), channel)),
                       MAX_BODY_IN_ERROR)
    text = f"webhook: HTTP {status} from {host}" + (f": {excerpt}" if excerpt else "")
    if status in (408, 429) or status >= 500:
        return _temporary(text, parse_retry_after(headers.get("retry-after")))
    return PermanentAlertError(text)


async def _post(client: httpx.AsyncClient, channel: WebhookChannel, payload: dict[str, Any]
                ) -> None:
    host = webhook_host(channel.url)
    headers = {"User-Agent": USER_AGENT, **dict(channel.headers)}
    # `from None` everywhere: httpx exceptions carry the request (URL and headers).
    try:
        async with client.stream("POST", channel.url, json=payload, headers=headers,
                                 timeout=channel.timeout, follow_redirects=False) as response:
            body = await _read_prefix(response)
            status, reply_headers = response.status_code, response.headers
    except httpx.TimeoutException:
        raise _temporary(f"webhook: timed out after {channel.timeout:g}s waiting for {host}"
                         ) from None
    except httpx.ConnectError as exc:
        raise _temporary(connect_failure("webhook", exc, host)) from None
    except (httpx.InvalidURL, httpx.UnsupportedProtocol):
        raise PermanentAlertError("webhook: the url is not a valid http(s) URL") from None
    except httpx.HTTPError as exc:
        raise _temporary(f"webhook: {type(exc).__name__} talking to {host}") from None
    if not 200 <= status < 300:
        raise _status_error(status, reply_headers, body, host, channel)
    log.debug("webhook: delivered to %s (%s)", host, channel.name)


async def send_webhook(channel: WebhookChannel, message: Message,
                       client: httpx.AsyncClient | None = None) -> None:
    """POST `message` as JSON. Raises AlertError / PermanentAlertError."""
    payload = build_webhook_payload(message)
    if client is not None:
        await _post(client, channel, payload)
        return
    async with httpx.AsyncClient(timeout=channel.timeout) as own:
        await _post(own, channel, payload)
