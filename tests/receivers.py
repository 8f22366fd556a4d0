"""Local servers that stand in for Slack and an SMTP relay in tests.

Both listen on 127.0.0.1 with a port chosen by the OS, run in a background thread, and
work from plain synchronous tests::

    with SlackReceiver() as slack:
        channel = SlackChannel(name="t", webhook=slack.url, timeout=2)
        asyncio.run(send(channel, message))
        assert slack.received[0].json["text"] ...

    with SMTPReceiver(username="u", password="p") as smtp:
        ...  # EmailChannel(host=smtp.host, port=smtp.port, security="none", ...)
        mail = smtp.received[0].message  # an email.message.EmailMessage

Also: `make_self_signed_cert` (for STARTTLS/TLS tests) and `unused_port` (a port on which
connections are refused).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import shutil
import socket
import ssl
import subprocess
import threading
import warnings
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"
WEBHOOK_PATH = "/services/T000/B000/SECRETTOKEN"


def unused_port() -> int:
    """A local port nothing listens on (bound and released), so connecting is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def make_self_signed_cert(directory: Path) -> tuple[Path, Path] | None:
    """(cert.pem, key.pem) for CN=localhost / IP 127.0.0.1, or None without `openssl`."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=60)
    return cert, key


# ---------------------------------------------------------------- Slack


@dataclass
class SlackRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    json: Any  # the parsed body, or None when it is not JSON
    # The status answered; None while hanging and for a hung request (the client had
    # given up or died before an answer came, so the message was never accepted).
    status: int | None = None

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class SlackReceiver:
    """An HTTP server that records requests and answers like a Slack webhook.

    `mode`: "ok" (200 "ok"), "400" (invalid_payload), "403" (invalid_token),
    "429" (Retry-After: `retry_after`), "500", "hang" (no answer for `hang_seconds`),
    "custom" (`custom_answer`). `script`: modes for the next requests, one each, before
    `mode` applies again (e.g. ["ok", "ok", "hang"]). `port`: listen on this port (to
    come back on the same URL after an outage).
    """

    MODES = ("ok", "400", "403", "429", "500", "hang", "custom")

    def __init__(self, mode: str = "ok", hang_seconds: float = 10.0, port: int = 0):
        self.mode = mode
        self.hang_seconds = hang_seconds
        self.retry_after = "2"
        self.script: list[str] = []
        self.custom_answer: tuple[int, dict[str, str], bytes] = (200, {}, b"ok")
        self.received: list[SlackRequest] = []
        self._port = port
        self._lock = threading.Lock()
        self._released = threading.Event()  # wakes "hang" handlers on stop()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the receiver first"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}{WEBHOOK_PATH}"

    def url_for(self, path: str) -> str:
        """Another webhook URL on this receiver (requests are told apart by `path`)."""
        return f"http://{HOST}:{self.port}{path}"

    @property
    def accepted(self) -> list[SlackRequest]:
        """The requests answered with 2xx: what a real Slack would have posted."""
        return [r for r in self.received if r.accepted]

    def start(self) -> SlackReceiver:
        self._released.clear()
        self._server = ThreadingHTTPServer((HOST, self._port), self._handler_class())
        self._server.daemon_threads = True
        # A short poll interval keeps stop() (and so each test's teardown) quick.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="slack-receiver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> SlackReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next_mode(self) -> str:
        with self._lock:
            return self.script.pop(0) if self.script else self.mode

    def _respond(self, mode: str) -> tuple[int, dict[str, str], bytes]:
        if mode == "hang":
            self._released.wait(self.hang_seconds)
            return 200, {}, b"ok"
        answers: dict[str, tuple[int, dict[str, str], bytes]] = {
            "ok": (200, {}, b"ok"),
            "400": (400, {}, b"invalid_payload"),
            "403": (403, {}, b"invalid_token"),
            "429": (429, {"Retry-After": self.retry_after}, b"rate_limited"),
            "500": (500, {}, b"internal_error"),
            "custom": self.custom_answer,
        }
        if mode not in answers:
            raise ValueError(f"unknown SlackReceiver mode {mode!r}; use one of {self.MODES}")
        return answers[mode]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = None
                request = SlackRequest(
                    method="POST", path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body, json=parsed)
                receiver.received.append(request)
                mode = receiver._next_mode()
                status, headers, payload = receiver._respond(mode)
                request.status = None if mode == "hang" else status
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "text/plain; charset=utf-8")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client gave up (timeout test)
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        return Handler


# ---------------------------------------------------------------- SMTP


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes  # the message as received, after DATA

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class _Failure:
    code: int
    stage: str  # MAIL | RCPT | DATA
    remaining: int | None  # messages still to fail; None: forever
    text: str = ""
    # Transactions already counted: every RCPT of a failing message fails, not just one.
    envelopes: list[Envelope] = field(default_factory=list)


@dataclass
class _State:
    received: list[ReceivedMail] = field(default_factory=list)
    failure: _Failure | None = None
    auth_attempts: list[tuple[str, bool]] = field(default_factory=list)  # (login, ok)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler:
    """aiosmtpd handler hooks: record messages, inject failures."""

    def __init__(self, state: _State):
        self.state = state

    def _failure_for(self, stage: str, envelope: Envelope) -> str | None:
        with self.state.lock:
            failure = self.state.failure
            if failure is None or failure.stage != stage:
                return None
            counted = any(e is envelope for e in failure.envelopes)
            if not counted:
                if failure.remaining is not None and failure.remaining <= 0:
                    self.state.failure = None  # all N messages failed: recover
                    return None
                failure.envelopes.append(envelope)
                if failure.remaining is not None:
                    failure.remaining -= 1
            default = "4.3.0 try again later" if failure.code < 500 else "5.7.1 rejected"
            return f"{failure.code} {failure.text or default}"

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, mail_options: list[str]) -> str:
        failed = self._failure_for("MAIL", envelope)
        if failed:
            return failed
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        failed = self._failure_for("RCPT", envelope)
        if failed:
            return failed
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        failed = self._failure_for("DATA", envelope)
        if failed:
            return failed
        data = envelope.original_content or b""
        with self.state.lock:
            self.state.received.append(ReceivedMail(
                mail_from=envelope.mail_from or "", rcpt_tos=list(envelope.rcpt_tos),
                data=data))
        return "250 Message accepted"


class SMTPReceiver:
    """An aiosmtpd server on 127.0.0.1 in its own thread and event loop.

    * `username`/`password`: require AUTH (PLAIN/LOGIN, allowed without TLS).
    * `tls_context`: offer STARTTLS with it (`require_starttls` to insist on it).
    * `implicit_tls_context`: speak TLS from the first byte (SMTPS, security: tls).
    * `fail(code, count, stage)`: answer `code` at MAIL/RCPT/DATA for the next `count`
      messages (None: until `reset()`), e.g. 421/451 then recover, or 550 forever.
    """

    def __init__(self, *, username: str | None = None, password: str | None = None,
                 tls_context: ssl.SSLContext | None = None, require_starttls: bool = False,
                 implicit_tls_context: ssl.SSLContext | None = None, port: int = 0):
        self.username = username
        self.password = password
        self.tls_context = tls_context
        self.require_starttls = require_starttls
        self.implicit_tls_context = implicit_tls_context
        self.host = HOST
        self.port = port  # 0: any free port
        self._state = _State()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None

    # -- inspection and failure injection

    @property
    def received(self) -> list[ReceivedMail]:
        with self._state.lock:
            return list(self._state.received)

    @property
    def auth_attempts(self) -> list[tuple[str, bool]]:
        with self._state.lock:
            return list(self._state.auth_attempts)

    def fail(self, code: int = 451, count: int | None = 1, stage: str = "DATA",
             text: str = "") -> None:
        if stage not in ("MAIL", "RCPT", "DATA"):
            raise ValueError("stage must be MAIL, RCPT or DATA")
        with self._state.lock:
            self._state.failure = _Failure(code=code, stage=stage, remaining=count, text=text)

    def reject(self, code: int = 550, stage: str = "RCPT", text: str = "") -> None:
        """Permanent mode: answer `code` until reset()."""
        self.fail(code, None, stage, text)

    def reset(self) -> None:
        with self._state.lock:
            self._state.failure = None

    # -- life cycle

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope,
                      mechanism: str, auth_data: Any) -> AuthResult:
        ok = False
        login = ""
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode("utf-8", "replace")
            ok = (login == self.username
                  and auth_data.password.decode("utf-8", "replace") == self.password)
        with self._state.lock:
            self._state.auth_attempts.append((login, ok))
        return AuthResult(success=ok, handled=False)

    def _protocol(self) -> SMTP:
        auth = self.username is not None
        with warnings.catch_warnings():
            # "Requiring AUTH while not requiring TLS": deliberate in plain-text tests.
            warnings.simplefilter("ignore", UserWarning)
            return SMTP(
            _Handler(self._state), hostname="localhost",
            tls_context=self.tls_context, require_starttls=self.require_starttls,
            authenticator=self._authenticate if auth else None,
            auth_required=auth, auth_require_tls=False)

    async def _open(self) -> asyncio.AbstractServer:
        loop = asyncio.get_running_loop()
        return await loop.create_server(self._protocol, HOST, self.port, reuse_address=True,
                                        ssl=self.implicit_tls_context)

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        # Cancel open sessions so the loop closes without "task destroyed" warnings.
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def start(self) -> SMTPReceiver:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="smtp-receiver",
                                        daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._open(), loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)
        loop.close()
        self._loop = self._thread = self._server = None

    def __enter__(self) -> SMTPReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
