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

from monitor.config import WebhookChannel

from .http import endpoint_host, post_json
from .message import AlertMessage, DigestMessage, Message, Report, StoryEntry

log = logging.getLogger(__name__)

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


def _secrets(channel: WebhookChannel) -> list[str]:
    """The URL (and its path/query values) and every header value."""
    parts = urlsplit(channel.url)
    return [channel.url, parts.path, parts.query, parts.path.rstrip("/").rsplit("/", 1)[-1],
            *(value for _, value in parse_qsl(parts.query)),
            *(value for _, value in channel.headers),
            *(value.split()[-1] for _, value in channel.headers if value.split())]


async def send_webhook(channel: WebhookChannel, message: Message,
                       client: httpx.AsyncClient | None = None) -> None:
    """POST `message` as JSON. Raises AlertError / PermanentAlertError."""
    await post_json("webhook", client, channel.url, build_webhook_payload(message),
                    timeout=channel.timeout, secrets=_secrets(channel),
                    headers=dict(channel.headers))
    log.debug("webhook: delivered to %s (%s)", endpoint_host(channel.url), channel.name)
