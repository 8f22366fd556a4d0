"""POSTing JSON to an HTTP endpoint (Slack webhooks, generic webhooks): one transport whose
errors name the host only, never the URL, its token or header values."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlsplit

import httpx

from monitor import __version__
from monitor.errors import AlertError, PermanentAlertError
from monitor.fetch.retry import parse_retry_after

from .message import one_line, truncate

USER_AGENT = f"news-monitor/{__version__}"
MAX_BODY_IN_ERROR = 200
# Statuses worth retrying later: timeouts, rate limits and server trouble.
TEMPORARY_STATUSES = frozenset({408, 429})


def endpoint_host(url: str) -> str:
    """'hooks.slack.com' (plus ':port' when one is given): safe to show, unlike the URL."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "invalid URL"
    if not host:
        return "invalid URL"
    return f"{host}:{port}" if port else host


def scrub(text: str, secrets: list[str]) -> str:
    """Replace every secret (URL, path, token, header value) in a server's reply."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:  # a tiny "secret" would shred ordinary words
            text = text.replace(secret, "…")
    return text


def temporary(text: str, retry_after: float | None = None) -> AlertError:
    err = AlertError(text)
    err.retry_after = retry_after  # type: ignore[attr-defined]  # read by the dispatcher
    return err


def status_error(label: str, status: int, headers: httpx.Headers, body: bytes, host: str,
                 secrets: list[str]) -> AlertError:
    excerpt = truncate(one_line(scrub(body.decode("utf-8", "replace"), secrets)),
                       MAX_BODY_IN_ERROR)
    text = f"{label}: HTTP {status} from {host}" + (f": {excerpt}" if excerpt else "")
    if status in TEMPORARY_STATUSES or status >= 500:
        return temporary(text, parse_retry_after(headers.get("retry-after")))
    return PermanentAlertError(text)  # bad payload, revoked token, endpoint gone


def _in_chain(exc: BaseException, kind: type[BaseException]) -> bool:
    """Is an exception of `kind` somewhere in the chain httpx/httpcore wrapped?"""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def connect_failure(label: str, exc: BaseException, host: str) -> str:
    """'cannot resolve ...' / 'connection refused by ...' / 'cannot connect to ...'."""
    text = str(exc).lower()
    if _in_chain(exc, socket.gaierror) or "name or service not known" in text:
        return f"{label}: cannot resolve {host}"
    if _in_chain(exc, ConnectionRefusedError) or "refused" in text:
        return f"{label}: connection refused by {host}"
    return f"{label}: cannot connect to {host}"


async def _read_prefix(response: httpx.Response, limit: int = 4096) -> bytes:
    """Up to `limit` bytes of the body: enough for an error message, bounded for safety."""
    data = b""
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) >= limit:
            break
    return data[:limit]


async def post_json(label: str, client: httpx.AsyncClient | None, url: str,
                    payload: dict[str, Any], *, timeout: float, secrets: list[str],
                    headers: dict[str, str] | None = None) -> None:
    """POST `payload` (on `client`, or a client of its own when None); raise AlertError
    (temporary) or PermanentAlertError on failure."""
    headers = {"User-Agent": USER_AGENT, **(headers or {})}
    if client is None:
        async with httpx.AsyncClient() as own:
            return await _post(label, own, url, payload, timeout, secrets, headers)
    return await _post(label, client, url, payload, timeout, secrets, headers)


async def _post(label: str, client: httpx.AsyncClient, url: str, payload: dict[str, Any],
                timeout: float, secrets: list[str], headers: dict[str, str]) -> None:
    host = endpoint_host(url)
    # `from None` everywhere: httpx exceptions carry the request (URL and headers), and a
    # chained traceback in a log would print them.
    try:
        async with client.stream("POST", url, json=payload, headers=headers, timeout=timeout,
                                 follow_redirects=False) as response:
            body = await _read_prefix(response)
            status, reply_headers = response.status_code, response.headers
    except httpx.TimeoutException:
        raise temporary(f"{label}: timed out after {timeout:g}s waiting for {host}") from None
    except httpx.ConnectError as exc:
        raise temporary(connect_failure(label, exc, host)) from None
    except (httpx.InvalidURL, httpx.UnsupportedProtocol):
        raise PermanentAlertError(f"{label}: the URL is not a valid http(s) URL") from None
    except httpx.HTTPError as exc:
        raise temporary(f"{label}: {type(exc).__name__} talking to {host}") from None
    if not 200 <= status < 300:
        raise status_error(label, status, reply_headers, body, host, secrets)
