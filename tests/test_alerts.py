"""Alert channels against real local receivers (tests/receivers.py): what arrives is checked."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from monitor.alerts import AlertMessage, Report, build_payload, describe, send
from monitor.alerts.blockkit import block_kit_problems
from monitor.alerts.email import build_subject, send_email
from monitor.alerts.http import status_error
from monitor.alerts.message import mostly_arabic, one_line, split_marks, window
from monitor.alerts.slack import webhook_secrets
from monitor.config import EmailChannel, SlackChannel
from monitor.errors import AlertError, PermanentAlertError
from monitor.fetch.retry import parse_retry_after
from monitor.models import Hit
from tests.receivers import (
    WEBHOOK_PATH,
    SlackReceiver,
    SMTPReceiver,
    make_self_signed_cert,
    unused_port,
)

SECRET = "SECRETTOKEN"
PASSWORD = "hunter2-very-secret"


def hit(entity: str, snippet: str, kind: str = "actor", matched: str = "") -> Hit:
    return Hit(entity=entity, kind=kind, matched_text=matched or entity, start=0, end=1,
               snippet=snippet, how="exact")


def english(**changes: Any) -> AlertMessage:
    fields: dict[str, Any] = dict(
        title="Militia leader speaks in Amara",
        url="https://news.example/article?id=1&lang=en",
        source="Rudaw",
        published="2024-05-01T09:30:00Z",
        hits=(hit("Maysan", "Crowds gathered in **Maysan** province.", kind="place"),
              hit("Qais al-Khazali", "**Qais al-Khazali** said on Tuesday.")),
        language="en",
    )
    fields.update(changes)
    return AlertMessage(**fields)


def arabic(**changes: Any) -> AlertMessage:
    fields: dict[str, Any] = dict(
        title="الخزعلي يهدد بالرد في ميسان",
        url="https://news.example/ar/1",
        source="السومرية",
        published="2024-05-01T09:30:00+03:00",
        hits=(hit("Qais al-Khazali", "قال **الخزعلي** إن الحركة سترد."),
              hit("Maysan", "في محافظة **ميسان** جنوب العراق.", kind="place")),
        language="ar",
    )
    fields.update(changes)
    return AlertMessage(**fields)


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def slack() -> Iterator[SlackReceiver]:
    with SlackReceiver() as receiver:
        yield receiver


def slack_channel(receiver: SlackReceiver, timeout: float = 5.0) -> SlackChannel:
    return SlackChannel(name="analysts", webhook=receiver.url, timeout=timeout)


@pytest.fixture
def smtp() -> Iterator[SMTPReceiver]:
    with SMTPReceiver() as receiver:
        yield receiver


def email_channel(host: str, port: int, *, security: str = "none", password: str | None = None,
                  timeout: float = 5.0) -> EmailChannel:
    return EmailChannel(name="mail", host=host, port=port, security=security,
                        sender="News Monitor <alerts@monitor.example>",
                        to=("analyst@example.org", "desk@example.org"),
                        username="monitor" if password else None, password=password,
                        timeout=timeout)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    files = make_self_signed_cert(tmp_path_factory.mktemp("tls"))
    if files is None:
        pytest.skip("openssl CLI not available")
    return files


def server_context(files: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*files)
    return context


def all_texts(payload: dict[str, Any]) -> list[str]:
    """Every mrkdwn/plain text in a Slack payload, the fallback text first."""
    texts = [payload["text"]]
    for block in payload["blocks"]:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts.extend(e["text"] for e in block.get("elements", []))
    return texts


def assert_no_secret(err: BaseException, secret: str) -> None:
    assert secret not in str(err)
    assert secret not in repr(err)
    # No chained httpx/smtplib exception that would print the URL or reply in a traceback.
    assert err.__cause__ is None
    assert err.__context__ is None or err.__suppress_context__


# ---------------------------------------------------------------- the message


def test_entities_are_distinct_with_places_last() -> None:
    message = english(hits=(
        hit("Maysan", "a **Maysan**", kind="place"),
        hit("Qais al-Khazali", "b **Qais**"),
        hit("Maysan", "c **Maysan**", kind="place"),
        hit("drone strike", "d **drone strike**", kind="keyword"),
        hit("Qais al-Khazali", "e **al-Khazali**"),
    ))
    assert message.entities() == ["Qais al-Khazali", "drone strike", "Maysan"]


def test_text_helpers() -> None:
    assert one_line("a\r\nBcc: x\u2028y\x00z\tw") == "a Bcc: x y z w"
    assert split_marks("x **y** **z") == [("x ", False), ("y", True), (" **z", False)]
    assert mostly_arabic("الخزعلي said") and not mostly_arabic("Qais al-Khazali قال")
    # A long snippet is cut around the match, with "…" at each cut.
    segments = window(split_marks("a" * 5000 + " **match** " + "b" * 5000), 100)
    text = "".join(t for t, _ in segments)
    assert len(text) <= 100 and text.startswith("…") and text.endswith("…")
    assert ("match", True) in segments


# ---------------------------------------------------------------- Slack


def test_slack_payload_is_exact(slack: SlackReceiver) -> None:
    asyncio.run(send(slack_channel(slack), english()))

    [request] = slack.received
    assert request.path == WEBHOOK_PATH
    assert request.headers["content-type"] == "application/json"
    assert request.json == {
        "text": "Qais al-Khazali — Militia leader speaks in Amara (Rudaw)",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text":
                "*<https://news.example/article?id=1&amp;lang=en"
                "|Militia leader speaks in Amara>*"}},
            {"type": "context", "elements": [
                {"type": "mrkdwn", "text": "Rudaw · 2024-05-01 09:30 UTC"}]},
            {"type": "section", "text": {"type": "mrkdwn", "text":
                "*Qais al-Khazali*\n>*Qais al-Khazali* said on Tuesday."}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "*Places:* Maysan"}]},
        ],
        "unfurl_links": False,
        "unfurl_media": False,
    }


def test_slack_escapes_untrusted_text(slack: SlackReceiver) -> None:
    message = english(
        title="<script>& <https://evil|click> *bold* <!channel>",
        source="Evil <b>Outlet</b> & co",
        hits=(hit("Qais al-Khazali",
                  "see <https://evil|click> & _it_ ~s~ `code` *x* **Qais al-Khazali**\n>quote"),),
    )
    asyncio.run(send(slack_channel(slack), message))
    payload = slack.received[0].json
    texts = all_texts(payload)
    headline = payload["blocks"][0]["text"]["text"]

    assert headline == ("*<https://news.example/article?id=1&amp;lang=en|&lt;script&gt;&amp; "
                        "&lt;https://evil|click&gt; ∗bold∗ &lt;!channel&gt;>*")
    assert payload["blocks"][1]["elements"][0]["text"].startswith(
        "Evil &lt;b&gt;Outlet&lt;/b&gt; &amp; co")
    snippet = payload["blocks"][2]["text"]["text"]
    assert snippet == ("*Qais al-Khazali*\n>see &lt;https://evil|click&gt; &amp; "
                       "ˍitˍ ∼s∼ ˋcodeˋ ∗x∗ *Qais al-Khazali* &gt;quote")
    # The only '<' anywhere is our own link around the headline; no raw '&' escapes.
    assert sum(t.count("<") for t in texts) == 1
    assert all(">" not in t.replace("\n>", "").replace(">*", "") for t in texts)
    assert "<script>" not in str(payload) and "<https://evil" not in str(payload)


def test_slack_does_not_link_non_web_urls(slack: SlackReceiver) -> None:
    asyncio.run(send(slack_channel(slack), english(url="javascript:alert(1)")))
    headline = slack.received[0].json["blocks"][0]["text"]["text"]
    assert "<" not in headline and "javascript:alert(1)" in headline


def test_slack_does_not_link_huge_urls() -> None:
    headline = build_payload(english(url="https://x.example/" + "a" * 5000))["blocks"][0]
    assert "<" not in headline["text"]["text"] and len(headline["text"]["text"]) <= 3000


def test_slack_marks_test_messages(slack: SlackReceiver) -> None:
    asyncio.run(send(slack_channel(slack), english(test=True)))
    payload = slack.received[0].json
    assert payload["text"].startswith("[TEST] ")
    assert payload["blocks"][0]["type"] == "header"
    assert "TEST ALERT" in payload["blocks"][0]["text"]["text"]


def test_slack_respects_block_and_text_limits(slack: SlackReceiver) -> None:
    many = tuple(hit(f"Actor {i}", f"sentence {i} about **Actor {i}**.") for i in range(200))
    places = tuple(hit(f"Place {i}", f"in **Place {i}**.", kind="place") for i in range(300))
    long_snippet = "x" * 8000 + " **Muqtada al-Sadr** " + "<&>" * 700
    reports = tuple(Report(f"Outlet {i}", f"Headline {i} " * 30, f"https://o.example/{i}")
                    for i in range(100))
    message = english(title="T" * 5000, hits=(hit("Muqtada al-Sadr", long_snippet), *many,
                                              *places), also=reports, earlier=reports)
    asyncio.run(send(slack_channel(slack), message))
    payload = slack.received[0].json

    assert block_kit_problems(payload) == []
    blocks = payload["blocks"]
    assert len(blocks) <= 20  # well inside Slack's 50
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    contexts = [b["elements"][0]["text"] for b in blocks if b["type"] == "context"]
    # Eight entities get a sentence; the other 193 are named in one folded context block.
    assert sum(t.startswith("*Actor") or t.startswith("*Muqtada") for t in sections) == 8
    [named] = [t for t in contexts if t.startswith("*Also named:*")]
    listed, more = named.removeprefix("*Also named:* ").split(" … +")
    assert listed.startswith("Actor 7, Actor 8, ") and len(named) <= 2000
    assert len(listed.split(", ")) + int(more) == 193  # each of the rest named or counted
    [where] = [t for t in contexts if t.startswith("*Places:*")]
    assert "Place 0, Place 1" in where and len(where) <= 2000
    # 100 other reports: three lines each, the rest folded and counted.
    assert sum(t.startswith("*97 more:*") for t in contexts) == 2
    first_hit = blocks[2]["text"]["text"]
    assert "*Muqtada al-Sadr*" in first_hit.split("\n>", 1)[1]  # the match survives the cut
    assert first_hit.endswith("…") and "&lt;&amp;&gt;" in first_hit
    assert len(first_hit) < 600  # one sentence, not a wall of text
    assert blocks[0]["text"]["text"].endswith("…>*")  # the headline is trimmed too


def test_slack_payload_cut_never_splits_an_entity() -> None:
    message = english(hits=(hit("X", "**X** " + "&" * 4000),))
    text = build_payload(message)["blocks"][2]["text"]["text"]
    assert len(text) <= 3000 and text.endswith("&amp;…")


@pytest.mark.parametrize(("mode", "error", "detail"), [
    ("400", PermanentAlertError, "invalid_payload"),
    ("403", PermanentAlertError, "invalid_token"),
    ("429", AlertError, "rate_limited"),
    ("500", AlertError, "internal_error"),
])
def test_slack_http_errors(slack: SlackReceiver, mode: str, error: type[AlertError],
                           detail: str) -> None:
    slack.mode = mode
    with pytest.raises(error) as info:
        asyncio.run(send(slack_channel(slack), english()))
    err = info.value
    assert type(err) is error  # 429/500 must not be permanent
    assert str(err) == f"slack: HTTP {mode} from 127.0.0.1:{slack.port}: {detail}"
    assert_no_secret(err, SECRET)
    assert "/services/" not in str(err)
    if mode == "429":
        assert err.retry_after == 2  # type: ignore[attr-defined]


def test_slack_timeout_is_temporary() -> None:
    with SlackReceiver(mode="hang") as slack:
        port = slack.port
        started = time.monotonic()
        with pytest.raises(AlertError) as info:
            asyncio.run(send(slack_channel(slack, timeout=0.5), english()))
        assert time.monotonic() - started < 5
    assert type(info.value) is AlertError
    assert str(info.value) == f"slack: timed out after 0.5s waiting for 127.0.0.1:{port}"
    assert_no_secret(info.value, SECRET)


def test_slack_connection_refused_is_temporary() -> None:
    port = unused_port()
    channel = SlackChannel(name="s", webhook=f"http://127.0.0.1:{port}/services/T/B/{SECRET}",
                           timeout=2)
    with pytest.raises(AlertError) as info:
        asyncio.run(send(channel, english()))
    assert type(info.value) is AlertError
    assert str(info.value) == f"slack: connection refused by 127.0.0.1:{port}"
    assert_no_secret(info.value, SECRET)


def test_slack_reuses_a_given_client(slack: SlackReceiver) -> None:
    async def twice() -> bool:
        async with httpx.AsyncClient() as client:
            await send(slack_channel(slack), english(), client)
            await send(slack_channel(slack), arabic(), client)
            return client.is_closed

    assert asyncio.run(twice()) is False
    assert len(slack.received) == 2


def test_slack_error_body_is_scrubbed_of_the_webhook() -> None:
    webhook = f"https://hooks.slack.com/services/T1/B1/{SECRET}"
    body = f"no such hook {webhook} (token {SECRET})\n{'y' * 500}".encode()
    error = status_error("slack", 404, httpx.Headers(), body, "hooks.slack.com",
                         webhook_secrets(webhook))
    assert isinstance(error, PermanentAlertError)
    excerpt = str(error).split(": ", 2)[2]  # after "slack: HTTP 404 from <host>: "
    assert SECRET not in excerpt and "/services/" not in excerpt
    assert len(excerpt) <= 200 and "\n" not in excerpt


def test_retry_after_parsing() -> None:
    assert parse_retry_after("2") == 2
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    later = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 60))
    assert 50 < (parse_retry_after(later) or 0) <= 60


def test_describe_has_no_secrets() -> None:
    slack = SlackChannel(name="s", webhook=f"https://hooks.slack.com/services/T/B/{SECRET}")
    assert describe(slack) == "slack (hooks.slack.com)"
    mail = email_channel("smtp.example.org", 587, security="starttls", password=PASSWORD)
    assert describe(mail) == "email (smtp.example.org:587 → 2 recipients)"
    assert SECRET not in repr(slack) and PASSWORD not in repr(mail)


# ---------------------------------------------------------------- email


def test_email_headers_and_parts(smtp: SMTPReceiver) -> None:
    message = english(title="Militia <script>alert(1)</script> & more")
    asyncio.run(send(email_channel(smtp.host, smtp.port), message))

    [mail] = smtp.received
    assert mail.mail_from == "alerts@monitor.example"
    assert mail.rcpt_tos == ["analyst@example.org", "desk@example.org"]
    msg = mail.message
    # At most three names (places are context, not named), then the headline.
    assert msg["Subject"] == "Qais al-Khazali — Militia <script>alert(1)</script> & more"
    assert msg["From"] == "News Monitor <alerts@monitor.example>"
    assert msg["To"] == "analyst@example.org, desk@example.org"
    assert msg.get_content_type() == "multipart/alternative"
    plain = msg.get_body(("plain",)).get_content()
    page = msg.get_body(("html",)).get_content()
    assert "Militia <script>alert(1)</script> & more" in plain
    assert "https://news.example/article?id=1&lang=en" in plain
    assert ("Qais al-Khazali\n  ⟦Qais al-Khazali⟧ said on Tuesday.\nPlaces: Maysan\n"
            in plain.replace("\r\n", "\n"))
    assert "Rudaw · 2024-05-01 09:30 UTC" in plain
    assert "<script>" not in page
    assert "Militia &lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert '<a href="https://news.example/article?id=1&amp;lang=en">' in page
    assert "<mark>Qais al-Khazali</mark> said on Tuesday." in page
    assert 'dir="rtl"' not in page


def test_email_arabic_subject_and_rtl(smtp: SMTPReceiver) -> None:
    asyncio.run(send(email_channel(smtp.host, smtp.port), arabic()))
    mail = smtp.received[0]
    header_block = mail.data.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    assert header_block.isascii()  # non-ASCII headers are RFC 2047 encoded
    msg = mail.message
    assert msg["Subject"] == "Qais al-Khazali — الخزعلي يهدد بالرد في ميسان"
    page = msg.get_body(("html",)).get_content()
    assert ('<h2 dir="rtl" lang="ar" style="margin-bottom:2px"><a href="https://news.example/'
            'ar/1">الخزعلي يهدد') in page
    assert ('<div dir="rtl" lang="ar" style="margin:2px 0 10px 0; padding-right:10px; '
            'border-right:3px solid #ccc">قال <mark>الخزعلي</mark> إن الحركة سترد.</div>'
            ) in page
    plain = msg.get_body(("plain",)).get_content()
    assert "قال ⟦الخزعلي⟧ إن الحركة سترد." in plain
    assert "2024-05-01 06:30 UTC" in plain  # +03:00 shown in UTC


def test_email_rtl_by_script_without_language(smtp: SMTPReceiver) -> None:
    asyncio.run(send(email_channel(smtp.host, smtp.port), arabic(language=None)))
    assert 'dir="rtl"' in smtp.received[0].message.get_body(("html",)).get_content()


def test_email_header_injection_is_neutralised(smtp: SMTPReceiver) -> None:
    message = english(title="Hello\r\nBcc: victim@x", source="Rudaw\nX-Evil: 1",
                      hits=(hit("Qais\r\nCc: other@x", "**Qais**"),))
    asyncio.run(send(email_channel(smtp.host, smtp.port), message))
    mail = smtp.received[0]
    msg = mail.message
    assert msg["Bcc"] is None and msg["Cc"] is None and msg["X-Evil"] is None
    assert msg["Subject"] == "Qais Cc: other@x — Hello Bcc: victim@x"
    assert "Rudaw X-Evil: 1 · 2024-05-01 09:30 UTC" in msg.get_body(("plain",)).get_content()
    assert mail.rcpt_tos == ["analyst@example.org", "desk@example.org"]
    lines = mail.data.replace(b"\r\n", b"\n").split(b"\n")
    assert not any(line.lower().startswith((b"bcc:", b"cc:", b"x-evil:")) for line in lines)


def test_email_subject_is_bounded() -> None:
    subject = build_subject(arabic(title="عنوان طويل جدا " * 40, test=True))
    assert 90 <= len(subject) <= 100  # cut between words
    assert subject.startswith("[TEST] Qais al-Khazali — عنوان طويل")
    assert subject.endswith("…")


def test_email_marks_test_messages(smtp: SMTPReceiver) -> None:
    asyncio.run(send(email_channel(smtp.host, smtp.port), english(test=True)))
    msg = smtp.received[0].message
    assert msg["Subject"].startswith("[TEST] ")
    assert "TEST ALERT" in msg.get_body(("plain",)).get_content()
    assert "<strong>TEST ALERT</strong>" in msg.get_body(("html",)).get_content()


def test_email_auth_success() -> None:
    with SMTPReceiver(username="monitor", password=PASSWORD) as smtp:
        asyncio.run(send(email_channel(smtp.host, smtp.port, password=PASSWORD), english()))
        assert smtp.auth_attempts == [("monitor", True)]
        assert len(smtp.received) == 1


def test_email_auth_failure_is_permanent_and_secret() -> None:
    with SMTPReceiver(username="monitor", password="the-right-one") as smtp:
        with pytest.raises(PermanentAlertError) as info:
            asyncio.run(send(email_channel(smtp.host, smtp.port, password=PASSWORD), english()))
        assert smtp.received == []
    assert str(info.value) == f"email: authentication failed at 127.0.0.1:{smtp.port} (SMTP 535)"
    assert_no_secret(info.value, PASSWORD)


@pytest.mark.parametrize(("code", "stage"), [(421, "MAIL"), (451, "RCPT"), (451, "DATA")])
def test_email_temporary_failures_then_recovery(smtp: SMTPReceiver, code: int,
                                                stage: str) -> None:
    smtp.fail(code, count=1, stage=stage)
    channel = email_channel(smtp.host, smtp.port)
    with pytest.raises(AlertError) as info:
        asyncio.run(send(channel, english()))
    assert type(info.value) is AlertError
    assert str(info.value).startswith(f"email: 127.0.0.1:{smtp.port} refused ")
    assert f"{code} 4.3.0 try again later" in str(info.value)
    assert smtp.received == []
    asyncio.run(send(channel, english()))  # the receiver recovered: so do we
    assert len(smtp.received) == 1


@pytest.mark.parametrize("stage", ["MAIL", "RCPT", "DATA"])
def test_email_550_is_permanent(smtp: SMTPReceiver, stage: str) -> None:
    smtp.reject(550, stage=stage)
    with pytest.raises(PermanentAlertError) as info:
        asyncio.run(send(email_channel(smtp.host, smtp.port), english()))
    assert "550 5.7.1 rejected" in str(info.value)


def test_email_connection_refused_is_temporary() -> None:
    port = unused_port()
    with pytest.raises(AlertError) as info:
        asyncio.run(send(email_channel("127.0.0.1", port, password=PASSWORD), english()))
    assert type(info.value) is AlertError
    assert str(info.value) == f"email: connection refused by 127.0.0.1:{port}"


def test_email_silent_server_times_out() -> None:
    # Listening but never accepting: the TCP connect succeeds, the greeting never comes.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        with pytest.raises(AlertError) as info:
            asyncio.run(send(email_channel("127.0.0.1", port, timeout=0.5), english()))
    assert str(info.value) == f"email: timed out after 0.5s talking to 127.0.0.1:{port}"


def test_email_starttls(tls_files: tuple[Path, Path]) -> None:
    client_context = ssl.create_default_context(cafile=str(tls_files[0]))
    with SMTPReceiver(username="monitor", password=PASSWORD, require_starttls=True,
                      tls_context=server_context(tls_files)) as smtp:
        channel = email_channel(smtp.host, smtp.port, security="starttls", password=PASSWORD)
        asyncio.run(send_email(channel, arabic(), ssl_context=client_context))
        assert len(smtp.received) == 1 and smtp.auth_attempts == [("monitor", True)]
        # Production verifies certificates: the self-signed one is refused, permanently.
        with pytest.raises(PermanentAlertError) as info:
            asyncio.run(send(channel, arabic()))
    assert "TLS certificate of 127.0.0.1" in str(info.value)


def test_email_implicit_tls(tls_files: tuple[Path, Path]) -> None:
    client_context = ssl.create_default_context(cafile=str(tls_files[0]))
    with SMTPReceiver(implicit_tls_context=server_context(tls_files)) as smtp:
        channel = email_channel(smtp.host, smtp.port, security="tls")
        asyncio.run(send_email(channel, english(), ssl_context=client_context))
        assert smtp.received[0].message["Subject"].endswith("speaks in Amara")


def test_email_starttls_not_offered_is_permanent(smtp: SMTPReceiver) -> None:
    with pytest.raises(PermanentAlertError) as info:
        asyncio.run(send(email_channel(smtp.host, smtp.port, security="starttls"), english()))
    assert str(info.value) == f"email: 127.0.0.1:{smtp.port} does not support STARTTLS"
