"""Email channel: a multipart/alternative (plain text + HTML) message sent with smtplib.

smtplib is blocking, so each delivery runs in a worker thread (`asyncio.to_thread`).
Untrusted text is made safe per context: header values go through `one_line` (no CR, LF
or other control character can start a new header), HTML through `html.escape`.
The password is a secret: no error message quotes it or the server's reply to AUTH.
"""

from __future__ import annotations

import asyncio
import html
import logging
import smtplib
import socket
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from monitor import __version__
from monitor.config import EmailChannel
from monitor.errors import AlertError, PermanentAlertError
from monitor.match.snippet import MARK_CLOSE, MARK_OPEN

from .layout import AlertLayout, EntityLine, alert_layout, mention_label, plain_and_spans
from .message import (
    AlertMessage,
    DigestMessage,
    Message,
    Report,
    StoryEntry,
    format_published,
    headline_names,
    is_rtl,
    is_web_url,
    mostly_arabic,
    one_line,
    split_marks,
    truncate,
    truncate_words,
    window,
)

log = logging.getLogger(__name__)

MAX_SUBJECT_CHARS = 100
MAX_ENTITY_LINES = 30  # entity lines in a mail; the rest are named in one line
MAX_SNIPPET_CHARS = 600
MAX_REPLY_IN_ERROR = 200
TEST_NOTE = "This is a test message sent by `monitor test-alert`; it is not a real match."


# ---------------------------------------------------------------- rendering


def build_subject(message: Message) -> str:
    """'Qais al-Khazali, Asa'ib Ahl al-Haq +1 — <headline>', ≤ 100 characters: at most
    three names (places are context, not named), then as much headline as fits."""
    test = "[TEST] " if message.test else ""
    if isinstance(message, DigestMessage):
        return truncate(f"[news-monitor] {test}" + (one_line(message.title) or "digest"),
                        MAX_SUBJECT_CHARS)
    names = headline_names(message.named())
    head = f"{test}{names} — " if names else test
    title = one_line(message.title) or "(untitled)"
    return truncate_words(head + title, MAX_SUBJECT_CHARS)


LRM = "\u200e"  # left-to-right mark


def _outlet_text(source: str | None) -> str:
    """An outlet name before " · time": an Arabic one gets a left-to-right mark after it,
    or the digits of the time would join its right-to-left run and show before it."""
    name = one_line(source) or "unknown source"
    return name + LRM if mostly_arabic(name) else name


def _outlet_html(source: str | None) -> str:
    """An outlet name isolated from the time after it (dir="auto": its own direction)."""
    return f'<span dir="auto">{html.escape(one_line(source) or "unknown source")}</span>'


def _snippet_segments(snippet: str) -> list[tuple[str, bool]]:
    return window(split_marks(one_line(snippet)), MAX_SNIPPET_CHARS)


def _report_text(report: Report) -> str:
    published = format_published(report.published)
    when = f" · {published}" if published else ""
    story = (f"\n  a later report of \"{one_line(report.story)}\", alerted earlier"
             if report.story else "")
    return (f"{one_line(report.title) or '(untitled)'} — {_outlet_text(report.source)}{when}\n"
            f"  {one_line(report.url)}{story}")


def _reports_text(label: str, reports: tuple[Report, ...]) -> list[str]:
    if not reports:
        return []
    return ["", label, *(f"- {_report_text(r)}" for r in reports)]


def _entry_text(entry: StoryEntry, with_entities: bool) -> list[str]:
    lines = [f"- {_report_text(entry.first)}"]
    if with_entities and entry.entities:
        lines.append("  " + ", ".join(one_line(e) for e in entry.entities))
    lines += [f"  also reported by {_report_text(r)}" for r in entry.others]
    return lines


def build_digest_text(message: DigestMessage) -> str:
    lines: list[str] = ["*** TEST ALERT ***", TEST_NOTE, ""] if message.test else []
    lines.append(one_line(message.title))
    if message.timeline:
        lines += ["", "Articles a day, last four weeks: " + one_line(message.timeline.summary())]
    for heading, entries in message.sections:
        lines.append("")
        if heading:
            lines += [one_line(heading), "=" * min(len(one_line(heading)), 60)]
        for entry in entries:
            lines += _entry_text(entry, with_entities=not heading)
    lines += _reports_text("Also reported by:", message.also)
    lines += ["", "-- ", f"news-monitor {__version__}"]
    return "\n".join(lines) + "\n"


def _marked_text(snippet: str) -> str:
    return "".join(f"{MARK_OPEN}{t}{MARK_CLOSE}" if bold else t
                   for t, bold in _snippet_segments(snippet))


def _names_text(line: EntityLine) -> str:
    return " · ".join(one_line(mention_label(m)) for m in line.mentions)


def _layout_text(layout: AlertLayout) -> list[str]:
    lines: list[str] = []
    for line in layout.lines[:MAX_ENTITY_LINES]:
        lines.append(_names_text(line))
        lines.append("  (in the headline)" if line.in_title
                     else f"  {_marked_text(line.snippet)}")
    rest = [_names_text(line) for line in layout.lines[MAX_ENTITY_LINES:]]
    if rest:
        lines.append("Also named: " + " · ".join(rest))
    if layout.places:
        lines.append("Places: " + ", ".join(one_line(mention_label(m)) for m in layout.places))
    return lines


def build_text(message: Message) -> str:
    """The text/plain part: headline, outlet and time, link, then each entity once with
    its sentence (matches marked ⟦so⟧), places, other reports of the story."""
    if isinstance(message, DigestMessage):
        return build_digest_text(message)
    lines: list[str] = []
    if message.test:
        lines += ["*** TEST ALERT ***", TEST_NOTE, ""]
    lines.append(one_line(message.title) or "(untitled)")
    byline = _outlet_text(message.source)
    published = format_published(message.published)
    lines.append(f"{byline} · {published}" if published else byline)
    lines.append(one_line(message.url))
    layout = _layout_text(alert_layout(message))
    lines += ["", *layout] if layout else []
    lines += _reports_text("Earlier report of this story:", message.earlier)
    lines += _reports_text("Also reported by:", message.also)
    lines += ["", "-- ", f"news-monitor {__version__}"]
    return "\n".join(lines) + "\n"


def _dir(text: str, language: str | None) -> str:
    return "rtl" if is_rtl(text, language) else "ltr"


def _html_snippet(snippet: str) -> str:
    return "".join(f"<mark>{html.escape(t)}</mark>" if bold else html.escape(t)
                   for t, bold in _snippet_segments(snippet))


# The sentence under the names: a quote bar on the side where the text starts.
_QUOTE_STYLE = {"ltr": "margin:2px 0 10px 0; padding-left:10px; border-left:3px solid #ccc",
                "rtl": "margin:2px 0 10px 0; padding-right:10px; border-right:3px solid #ccc"}
_MARK_STYLE = "<style>mark { background:#fff2a8; color:inherit; padding:0 1px }</style>"


def _names_html(line: EntityLine) -> str:
    return " · ".join(f"<strong>{html.escape(one_line(m.name))}</strong>"
                      + (f' <span style="color:#666">×{m.count}</span>' if m.count > 1 else "")
                      for m in line.mentions)


def _line_html(line: EntityLine, language: str | None) -> str:
    names = f'<div style="margin-top:8px">{_names_html(line)}</div>'
    if line.in_title:
        return names + '<div style="color:#666; margin-bottom:10px">in the headline</div>'
    text = one_line(line.snippet)
    rtl = is_rtl(plain_and_spans(text)[0], language)
    direction = "rtl" if rtl else "ltr"
    lang = ' lang="ar"' if rtl else ""
    return (names + f'<div dir="{direction}"{lang} style="{_QUOTE_STYLE[direction]}">'
            f"{_html_snippet(text)}</div>")


def _layout_html(layout: AlertLayout, language: str | None) -> list[str]:
    parts = [_line_html(line, language) for line in layout.lines[:MAX_ENTITY_LINES]]
    rest = [" · ".join(html.escape(one_line(mention_label(m))) for m in line.mentions)
            for line in layout.lines[MAX_ENTITY_LINES:]]
    if rest:
        parts.append(f"<p><strong>Also named:</strong> {' · '.join(rest)}</p>")
    if layout.places:
        places = ", ".join(html.escape(one_line(mention_label(m))) for m in layout.places)
        parts.append(f'<p style="color:#555"><strong>Places:</strong> {places}</p>')
    return parts


def _report_html(report: Report) -> str:
    esc = html.escape
    title = one_line(report.title) or "(untitled)"
    lang = ' lang="ar"' if mostly_arabic(title) else ""
    headline = esc(title)
    if is_web_url(report.url):
        headline = f'<a href="{esc(one_line(report.url))}">{headline}</a>'
    published = format_published(report.published)
    when = f" · {esc(published)}" if published else ""
    story = (f"<br><small>a later report of “{esc(one_line(report.story))}”, alerted "
             "earlier</small>" if report.story else "")
    return (f'<span dir="{_dir(title, None)}"{lang}>{headline}</span> — '
            f"{_outlet_html(report.source)}{when}{story}")


def _reports_html(label: str, reports: tuple[Report, ...]) -> list[str]:
    if not reports:
        return []
    items = "".join(f"<li>{_report_html(r)}</li>" for r in reports)
    return [f"<p><strong>{html.escape(label)}</strong></p><ul>{items}</ul>"]


def _entry_html(entry: StoryEntry, with_entities: bool) -> str:
    parts = [_report_html(entry.first)]
    if with_entities and entry.entities:
        parts.append("<br><small>" + html.escape(", ".join(one_line(e) for e in entry.entities))
                     + "</small>")
    parts += [f"<br><small>also reported by {_report_html(r)}</small>" for r in entry.others]
    return "<li>" + "".join(parts) + "</li>"


def _page(title: str, body: list[str], test: bool) -> str:
    esc = html.escape
    parts = ['<!DOCTYPE html>', '<html><head><meta charset="utf-8">',
             f"<title>{esc(title)}</title></head>",
             '<body style="font-family: Arial, sans-serif; line-height: 1.5">']
    if test:
        parts.append('<p style="background:#fff3cd; border:1px solid #e0c36c; padding:8px">'
                     f"<strong>TEST ALERT</strong> — {esc(TEST_NOTE)}</p>")
    parts += body
    parts.append(f'<p style="color:#888; font-size:small">news-monitor {__version__}</p>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def build_digest_html(message: DigestMessage) -> str:
    title = one_line(message.title)
    body = [f"<h2>{html.escape(title)}</h2>", *_timeline_html(message)]
    for heading, entries in message.sections:
        if heading:
            body.append(f"<h3>{html.escape(one_line(heading))}</h3>")
        body.append("<ul>" + "".join(_entry_html(e, with_entities=not heading)
                                     for e in entries) + "</ul>")
    body += _reports_html("Also reported by:", message.also)
    return _page(title, body, message.test)


def _timeline_html(message: DigestMessage) -> list[str]:
    """The chart (attached as cid:timeline by `build_email`), with its numbers as alt text
    for mail clients that do not show images."""
    if not message.timeline:
        return []
    alt = html.escape("Articles a day per watched actor, last four weeks: "
                      + message.timeline.summary(), quote=True)
    return ['<p><img src="cid:timeline" width="600" height="220" '
            f'style="max-width:100%; height:auto" alt="{alt}"></p>']


def _headline_html(message: AlertMessage) -> str:
    esc = html.escape
    title = one_line(message.title) or "(untitled)"
    rtl = is_rtl(title, message.language)
    lang = "ar" if mostly_arabic(title) else message.language
    lang_attr = f' lang="{esc(lang)}"' if lang else ""
    headline = esc(title)
    if is_web_url(message.url):
        headline = f'<a href="{esc(one_line(message.url))}">{headline}</a>'
    return (f'<h2 dir="{"rtl" if rtl else "ltr"}"{lang_attr} style="margin-bottom:2px">'
            f"{headline}</h2>")


def build_html(message: Message) -> str:
    """The text/html part. Every untrusted string passes through html.escape; Arabic
    headlines and sentences are laid out right to left (dir="rtl")."""
    if isinstance(message, DigestMessage):
        return build_digest_html(message)
    esc = html.escape
    byline = _outlet_html(message.source)
    published = format_published(message.published)
    if published:
        byline += f" · {esc(published)}"
    body = [_MARK_STYLE, _headline_html(message),
            f'<p style="color:#555; margin-top:0">{byline}</p>',
            *_layout_html(alert_layout(message), message.language),
            *_reports_html("Earlier report of this story:", message.earlier),
            *_reports_html("Also reported by:", message.also)]
    return _page(one_line(message.title) or "(untitled)", body, message.test)


def _domain(address: str) -> str:
    domain = parseaddr(address)[1].rpartition("@")[2]
    return one_line(domain).replace(" ", "") or "news-monitor.invalid"


def build_email(channel: EmailChannel, message: Message) -> EmailMessage:
    """The complete MIME message. Every header value is passed through `one_line`."""
    msg = EmailMessage()  # policy=default: UTF-8, RFC 2047 for non-ASCII headers
    msg["Subject"] = build_subject(message)
    msg["From"] = one_line(channel.sender)
    msg["To"] = ", ".join(one_line(rcpt) for rcpt in channel.to)
    msg["Date"] = format_datetime(datetime.now(UTC))
    # An explicit domain: make_msgid() would otherwise do a (possibly slow) DNS lookup.
    msg["Message-ID"] = make_msgid("news-monitor", domain=_domain(channel.sender))
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies
    msg["X-Mailer"] = f"news-monitor {__version__}"
    msg.set_content(build_text(message))
    msg.add_alternative(build_html(message), subtype="html")
    chart = _timeline_png(message)
    if chart is not None:  # multipart/related: the HTML part and the picture it shows
        html_part = msg.get_payload()[1]
        html_part.add_related(chart, maintype="image", subtype="png", cid="<timeline>",
                              filename="timeline.png")
    return msg


def _timeline_png(message: Message) -> bytes | None:
    if not (isinstance(message, DigestMessage) and message.timeline):
        return None
    from .timeline import render_png

    try:
        return render_png(message.timeline)
    except Exception as exc:  # a digest without its picture beats no digest
        log.warning("digest timeline not drawn: %s", exc)
        return None


# ---------------------------------------------------------------- delivery


def _where(channel: EmailChannel) -> str:
    return f"{channel.host}:{channel.port}"


def _reply(exc: smtplib.SMTPResponseException, password: str | None) -> str:
    """'550 5.1.1 no such user' from a server reply, short and scrubbed."""
    raw = exc.smtp_error
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    if password:
        text = text.replace(password, "…")
    return truncate(one_line(f"{exc.smtp_code} {text}"), MAX_REPLY_IN_ERROR)


def _by_code(code: int, text: str) -> AlertError:
    """SMTP 4xx is temporary, anything else permanent."""
    return AlertError(text) if 400 <= code < 500 else PermanentAlertError(text)


_STEPS: dict[type[Exception], str] = {
    smtplib.SMTPConnectError: "connect",
    smtplib.SMTPHeloError: "EHLO",
    smtplib.SMTPSenderRefused: "MAIL FROM",
    smtplib.SMTPDataError: "DATA",
}


def _smtp_error(exc: Exception, channel: EmailChannel, stage: str) -> AlertError:
    """Map an smtplib/socket/ssl exception to a short message without secrets."""
    where = _where(channel)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # The reply to AUTH may echo the (base64) credentials: never quote it.
        return _by_code(exc.smtp_code, f"email: authentication failed at {where} "
                                       f"(SMTP {exc.smtp_code})")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = list(exc.recipients.values())
        code = replies[0][0] if replies else 550
        first = smtplib.SMTPResponseException(code, replies[0][1] if replies else b"")
        temporary = all(400 <= c < 500 for c, _ in replies)
        text = f"email: {where} refused all recipients: {_reply(first, channel.password)}"
        return AlertError(text) if temporary else PermanentAlertError(text)
    if isinstance(exc, smtplib.SMTPResponseException):
        step = _STEPS.get(type(exc), stage)
        return _by_code(exc.smtp_code, f"email: {where} refused the message at {step}: "
                                       f"{_reply(exc, channel.password)}")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        what = {"starttls": "STARTTLS", "login": "AUTH",
                "send": "SMTPUTF8 (needed for non-ASCII addresses)"}.get(stage, stage)
        return PermanentAlertError(f"email: {where} does not support {what}")
    if isinstance(exc, smtplib.SMTPServerDisconnected) and "timed out" in str(exc):
        # smtplib reports a read timeout as "Connection unexpectedly closed: timed out".
        return AlertError(f"email: timed out after {channel.timeout:g}s talking to {where}")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return AlertError(f"email: {where} closed the connection during {stage}")
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or "verification failed"
        return PermanentAlertError(f"email: TLS certificate of {where} not trusted: {reason}")
    if isinstance(exc, ssl.SSLError):
        return AlertError(f"email: TLS error with {where}: {exc.reason or type(exc).__name__}")
    if isinstance(exc, ConnectionRefusedError):
        return AlertError(f"email: connection refused by {where}")
    if isinstance(exc, TimeoutError):  # socket.timeout is an alias since 3.10
        return AlertError(f"email: timed out after {channel.timeout:g}s talking to {where}")
    if isinstance(exc, socket.gaierror):
        return AlertError(f"email: cannot resolve {channel.host}")
    if isinstance(exc, OSError):
        return AlertError(f"email: network error with {where}: "
                          f"{exc.strerror or type(exc).__name__}")
    if stage == "login":  # e.g. "No suitable authentication method found"
        return PermanentAlertError(f"email: cannot authenticate at {where}: no common "
                                   "AUTH mechanism")
    return AlertError(f"email: {type(exc).__name__} during {stage} with {where}")


def _connect(channel: EmailChannel, context: ssl.SSLContext) -> smtplib.SMTP:
    if channel.security == "tls":
        return smtplib.SMTP_SSL(channel.host, channel.port, timeout=channel.timeout,
                                context=context)
    return smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout)


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye, ignoring errors: once DATA was accepted the mail is delivered, and a
    failed QUIT must not turn that into a failure (a retry would send it twice)."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _deliver(channel: EmailChannel, msg: EmailMessage, ssl_context: ssl.SSLContext | None
             ) -> dict[str, tuple[int, bytes]]:
    """Blocking SMTP conversation; returns the recipients refused (when not all were)."""
    # Production always verifies certificates; tests pass a context trusting their own CA.
    context = ssl_context or ssl.create_default_context()
    stage = "connect"
    try:
        smtp = _connect(channel, context)
        try:
            stage = "EHLO"
            smtp.ehlo()
            if channel.security == "starttls":
                stage = "starttls"
                smtp.starttls(context=context)
                smtp.ehlo()
            if channel.username and channel.password:
                stage = "login"
                smtp.login(channel.username, channel.password)
            stage = "send"
            envelope_from = parseaddr(channel.sender)[1] or channel.sender
            to = [parseaddr(rcpt)[1] or rcpt for rcpt in channel.to]
            return smtp.send_message(msg, from_addr=envelope_from, to_addrs=to)
        finally:
            _quit(smtp)
    except (smtplib.SMTPException, OSError) as exc:
        raise _smtp_error(exc, channel, stage) from None  # no chained reply/credentials


async def send_email(channel: EmailChannel, message: Message, *,
                     ssl_context: ssl.SSLContext | None = None) -> None:
    """Send `message` to the channel's recipients. Raises AlertError / PermanentAlertError.

    `ssl_context` exists for tests (a self-signed test server); leave it None in production.
    """
    msg = build_email(channel, message)
    refused = await asyncio.to_thread(_deliver, channel, msg, ssl_context)
    if refused:
        # Some recipients got it, so retrying would duplicate the mail for them: report
        # and treat as delivered.
        log.warning("email: %s refused %d of %d recipients (%s)", _where(channel),
                    len(refused), len(channel.to), ", ".join(sorted(refused)))
    else:
        log.debug("email: delivered via %s to %d recipients", _where(channel), len(channel.to))
