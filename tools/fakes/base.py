"""A small threaded HTTP server on 127.0.0.1 for contract fakes.

A fake subclasses FakeServer and registers routes:

    class XFake(FakeServer):
        def setup(self):
            self.route("POST", r"/2/tweets", self.create_tweet)

        def create_tweet(self, req):
            return Reply(201, {"data": {"id": "1", "text": req.json["text"]}})

Every request is recorded (`self.requests`), and `fail_next(...)` scripts the
next answers (a status, a body, headers, or a delay) for tests of each error
class. Use as a context manager or start()/stop().
"""

import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    match: re.Match | None = None

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in urllib.parse.parse_qs(self.body.decode()).items()}

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON; bytes/str sent as is
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (timeouts)


class FakeServer:
    def __init__(self, port: int = 0):
        """port 0: any free port (tests); a fixed one for the local stack."""
        self.requests: list[Request] = []
        self._routes: list[tuple[str, re.Pattern, Any]] = []
        self._scripted: list[tuple[str | None, Reply]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                parsed = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request(self.command, parsed.path, urllib.parse.parse_qs(parsed.query),
                              {k.lower(): v for k, v in self.headers.items()}, body)
                reply = fake._dispatch(req)
                if reply.delay:
                    time.sleep(reply.delay)
                if isinstance(reply.body, dict | list):
                    data = json.dumps(reply.body).encode()
                    ctype = "application/json"
                elif isinstance(reply.body, str):
                    data, ctype = reply.body.encode(), "text/plain"
                else:
                    data, ctype = reply.body or b"", "application/octet-stream"
                self.send_response(reply.status)
                headers = {"Content-Type": ctype, **reply.headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # A short poll interval: stop() waits one interval for serve_forever to notice.
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.setup()

    def setup(self) -> None:
        """Register routes (subclasses)."""

    def route(self, method: str, pattern: str, handler) -> None:
        self._routes.append((method, re.compile(f"^{pattern}$"), handler))

    def fail_next(self, reply: Reply, path: str | None = None, times: int = 1) -> None:
        """Answer the next `times` requests (whose path contains `path`, if given) with `reply`."""
        with self._lock:
            self._scripted.extend([(path, reply)] * times)

    def _dispatch(self, req: Request) -> Reply:
        with self._lock:
            self.requests.append(req)
            for i, (path, reply) in enumerate(self._scripted):
                if path is None or path in req.path:
                    del self._scripted[i]
                    return reply
        for method, pattern, handler in self._routes:
            m = pattern.match(req.path)
            if m and method == req.method:
                req.match = m
                return handler(req)
        return Reply(404, {"error": f"no route for {req.method} {req.path}"})

    def received(self, method: str | None = None, path: str | None = None) -> list[Request]:
        with self._lock:
            return [r for r in self.requests
                    if (method is None or r.method == method) and (path is None or re.fullmatch(path, r.path))]

    def start(self) -> "FakeServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
