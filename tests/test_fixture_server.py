"""The fixture server itself: a client hanging up mid-answer is counted, not printed.

socketserver prints the traceback of a failed answer to sys.stderr. Inside
`CliRunner.invoke` that is the command's captured stderr, so a test asserting a one-line
error failed whenever a cancelled fetch left an answer half-written (seen once in CI).
"""

from __future__ import annotations

import socket
import time

import pytest

from tests.fixture_server import FixtureServer


def test_client_hanging_up_mid_body_is_counted_not_printed(
        capfd: pytest.CaptureFixture[str]) -> None:
    with FixtureServer() as site:
        site.add("/big", b"x" * (32 << 20))
        host, port = site.base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as client:
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            client.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            assert client.recv(4096).startswith(b"HTTP/1.1 200")
        deadline = time.monotonic() + 10
        while site.client_hangups == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert site.client_hangups == 1
    assert "Traceback" not in capfd.readouterr().err
