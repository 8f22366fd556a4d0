"""A real HTTP server on 127.0.0.1:0 serving test content, with knobs for faults.

    with FixtureServer() as site:
        site.add("/rss", body, content_type="application/rss+xml")
        site.add("/slow", b"...", delay=5)
        site.add("/moved", status=302, headers={"Location": "/rss"})
        site.add("/broken", b"<rss>...", truncate=True)   # promises more bytes than it sends
        site.url("/rss")
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncate: bool = False  # close the connection before the promised Content-Length
    etag: str | None = None  # answer 304 when If-None-Match matches
    last_modified: str | None = None  # answer 304 when If-Modified-Since matches
    endless: bool = False  # stream the body again and again until the client hangs up
    fail_times: int = 0  # answer `fail_status` to the first N requests
    fail_status: int = 503
    fail_headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False  # drop the connection without any answer


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    at: float = 0.0  # time.monotonic() on arrival
    port: int = 0  # the client's port: which connection the request came on


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def setup(self) -> None:
        super().setup()
        with self.server.site.lock:
            self.server.site.connections += 1

    def finish(self) -> None:
        with self.server.site.lock:
            self.server.site.connections -= 1
        super().finish()

    def do_GET(self) -> None:
        site = self.server.site
        with site.lock:
            site.requests.append(Request(self.path, {k.lower(): v for k, v in
                                                     self.headers.items()}, time.monotonic(),
                                         self.client_address[1]))
            site.in_flight += 1
            site.max_in_flight = max(site.max_in_flight, site.in_flight)
        try:
            self._answer(site)
        finally:
            with site.lock:
                site.in_flight -= 1

    def _answer(self, site: FixtureServer) -> None:
        route = site.routes.get(self.path) or site.routes.get(self.path.split("?", 1)[0])
        if route is None:
            self._send(404, b"not found", "text/plain", {})
            return
        if route.delay:
            time.sleep(route.delay)
        if route.reset:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if route.fail_times > 0:
            route.fail_times -= 1
            self._send(route.fail_status, b"try later", "text/plain", route.fail_headers)
            return
        if route.endless:
            self._stream_forever(route)
            return
        if route.etag and self.headers.get("If-None-Match") == route.etag:
            self._send(304, b"", None, {"ETag": route.etag})
            return
        if route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified:
            self._send(304, b"", None, {"Last-Modified": route.last_modified})
            return
        headers = dict(route.headers)
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        self._send(route.status, route.body, route.content_type, headers, route.truncate)

    def _stream_forever(self, route: Route) -> None:
        self.send_response(200)
        self.send_header("Content-Type", route.content_type)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        chunk = route.body or b"x" * 65536
        try:
            while True:
                self.wfile.write(chunk)
        except OSError:  # the client hung up: what we wanted
            pass

    def _send(self, status: int, body: bytes, content_type: str | None,
              headers: dict[str, str], truncate: bool = False) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) + (1000 if truncate else 0)))
        if truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        if status != 304:
            self.wfile.write(body)
        if truncate:
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: FixtureServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer (a fetch cancelled because the run ended) is
        # normal here. socketserver would print its traceback to sys.stderr, which inside
        # CliRunner.invoke is the command's captured stderr: count it instead.
        if isinstance(sys.exc_info()[1], ConnectionError):
            with self.site.lock:
                self.site.client_hangups += 1
            return
        super().handle_error(request, client_address)


class FixtureServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.connections = 0  # open now
        self.client_hangups = 0  # answers cut short by the client closing its socket
        self._server = _Server((host, 0), _Handler)
        self._server.site = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, body: bytes | str = b"", **options: Any) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(body=data, **options)
        return self.url(path)

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path)

    def times(self, path: str) -> list[float]:
        return [r.at for r in self.requests if r.path == path]

    def start(self) -> FixtureServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FixtureServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
