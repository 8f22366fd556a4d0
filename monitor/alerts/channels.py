"""One entry point for every channel kind, plus a secret-free description of a channel."""

from __future__ import annotations

import httpx

from monitor.config import Channel, EmailChannel, SlackChannel, WebhookChannel

from .email import send_email
from .http import endpoint_host
from .message import Message
from .slack import send_slack
from .webhook import send_webhook


def describe(channel: Channel) -> str:
    """'slack (hooks.slack.com)', 'webhook (example.org)' or 'email (smtp.example.org:587 →
    2 recipients)', plus ', digest at 08:00 Asia/Baghdad' for digest channels.

    Safe for logs and the CLI: never the webhook path/token, header values nor the password.
    """
    if isinstance(channel, SlackChannel):
        text = f"slack ({endpoint_host(channel.webhook)})"
    elif isinstance(channel, WebhookChannel):
        text = f"webhook ({endpoint_host(channel.url)})"
    else:
        count = len(channel.to)
        noun = "recipient" if count == 1 else "recipients"
        text = f"email ({channel.host}:{channel.port} → {count} {noun})"
    routing = channel.routing
    if routing.mode == "digest":
        when = (f"at {routing.digest_at} {routing.timezone}" if routing.digest_at
                else f"every {_duration(routing.digest_every or 0)}")
        text += f", digest {when}"
    return text


def _duration(seconds: float) -> str:
    """3600 -> '1h', 5400 -> '90m', 45 -> '45s'."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


async def send(channel: Channel, message: Message,
               client: httpx.AsyncClient | None = None) -> None:
    """Deliver `message` (an alert, notice, digest or summary) through `channel`.

    Raises AlertError when a later attempt may succeed (connection refused, timeout,
    HTTP 429/5xx, SMTP 4xx; `retry_after` in seconds is set for HTTP 429 when the server
    gave one) and PermanentAlertError when it will not (HTTP 4xx, SMTP 5xx, auth failed).
    `client` is reused for HTTP channels; email ignores it.
    """
    if isinstance(channel, SlackChannel):
        await send_slack(channel, message, client)
    elif isinstance(channel, WebhookChannel):
        await send_webhook(channel, message, client)
    elif isinstance(channel, EmailChannel):
        await send_email(channel, message)
    else:  # a new channel kind in monitor.config without a sender here is a bug
        raise TypeError(f"unknown alert channel type {type(channel).__name__}")
