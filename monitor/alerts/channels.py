"""One entry point for every channel kind, plus a secret-free description of a channel."""

from __future__ import annotations

import httpx

from monitor.config import EmailChannel, SlackChannel

from .email import send_email
from .message import AlertMessage
from .slack import send_slack, webhook_host


def describe(channel: SlackChannel | EmailChannel) -> str:
    """'slack (hooks.slack.com)' or 'email (smtp.example.org:587 → 2 recipients)'.

    Safe for logs and the CLI: never the webhook path/token nor the password.
    """
    if isinstance(channel, SlackChannel):
        return f"slack ({webhook_host(channel.webhook)})"
    count = len(channel.to)
    noun = "recipient" if count == 1 else "recipients"
    return f"email ({channel.host}:{channel.port} → {count} {noun})"


async def send(channel: SlackChannel | EmailChannel, message: AlertMessage,
               client: httpx.AsyncClient | None = None) -> None:
    """Deliver `message` through `channel`.

    Raises AlertError when a later attempt may succeed (connection refused, timeout,
    HTTP 429/5xx, SMTP 4xx; `retry_after` in seconds is set for HTTP 429 when the server
    gave one) and PermanentAlertError when it will not (HTTP 4xx, SMTP 5xx, auth failed).
    `client` is reused for Slack; email ignores it.
    """
    if isinstance(channel, SlackChannel):
        await send_slack(channel, message, client)
    elif isinstance(channel, EmailChannel):
        await send_email(channel, message)
    else:  # a new channel kind in config.py without a sender here is a bug
        raise TypeError(f"unknown alert channel type {type(channel).__name__}")
