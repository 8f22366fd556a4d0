"""A real HTTP server on 127.0.0.1:0 serving test content, with knobs for faults.

    with FixtureServer() as site:
        site.add("/rss", body, content_type="application/rss+xml")
        site.add("/slow", b"...", delay=5)
        site.add("/moved", status=302, headers={"Location": "/rss"})
        site.add("/broken", b"<rss>...", truncate=True)   # promises more bytes than it sends
        site.url("/rss")
"""

from __future__ import annotations

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


@dataclass
class Request:
    path: str
    headers: dict[str, str]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        site = self.server.site
        site.requests.append(Request(self.path, {k.lower(): v for k, v in self.headers.items()}))
        route = site.routes.get(self.path.split("?", 1)[0]) or site.routes.get(self.path)
        if route is None:
            self._send(404, b"not found", "text/plain", {})
            return
        if route.delay:
            time.sleep(route.delay)
        if route.etag and self.headers.get("If-None-Match") == route.etag:
            self._send(304, b"", None, {"ETag": route.etag})
            return
        headers = dict(route.headers)
        if route.etag:
            headers["ETag"] = route.etag
        self._send(route.status, route.body, route.content_type, headers, route.truncate)

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


class FixtureServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self._server = _Server(("127.0.0.1", 0), _Handler)
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
