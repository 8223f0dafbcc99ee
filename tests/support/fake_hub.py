"""A WebSub hub double on 127.0.0.1 for the publisher's side: records publish notifications and
answers with whatever status a test scripts (202 by default), to play a hub that is down or slow."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class Notification:
    """One POST the hub received."""

    form: list[tuple[str, str]]
    content_type: str
    status: int

    @property
    def topics(self) -> list[str]:
        return [value for name, value in self.form if name == "hub.url"]

    @property
    def mode(self) -> str:
        return next((value for name, value in self.form if name == "hub.mode"), "")


@dataclass
class FakeHub:
    """Scripted answers: `statuses` are used in order, then `default_status`."""

    statuses: list[int] = field(default_factory=list)
    default_status: int = 202
    delay_seconds: float = 0.0
    received: list[Notification] = field(default_factory=list)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def accepted(self) -> list[Notification]:
        return [n for n in self.received if 200 <= n.status < 300]

    def answer(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else self.default_status


@contextmanager
def running_hub(**settings: Any) -> Iterator[FakeHub]:
    """A FakeHub listening on a free port for the duration of the block."""
    hub = FakeHub(**settings)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True)
            if hub.delay_seconds:
                time.sleep(hub.delay_seconds)
            status = hub.answer()
            with hub.lock:
                hub.received.append(Notification(form, self.headers.get("Content-Type", ""), status))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hub.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()
