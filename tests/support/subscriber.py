"""WebSub subscribers for a hub under test: callbacks that confirm (or refuse) intent and record
the pushes they get, and topics to fetch, on a tiny HTTP server on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

RSS_TYPE = "application/rss+xml; charset=utf-8"


@dataclass(frozen=True)
class Push:
    """A content distribution request a callback received."""

    callback: str
    headers: dict[str, str]
    body: bytes


class Subscriber:
    """WebSub subscribers' callbacks (/callback/<name>) and the topics they follow (/topics/...).

    A callback echoes the challenge when its name is in `confirming`, answers 404 when in
    `refusing`, and otherwise answers 200 with something that is not the challenge.
    """

    def __init__(self) -> None:
        self.topics: dict[str, bytes] = {}
        self.confirming: set[str] = set()
        self.refusing: set[str] = set()
        self.verifications: list[tuple[str, dict[str, str]]] = []
        self.pushes: list[Push] = []
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def callback(self, name: str, confirm: bool = True) -> str:
        (self.confirming if confirm else self.refusing).add(name)
        return f"{self.url}/callback/{name}"

    def topic(self, name: str, body: bytes) -> str:
        self.topics[f"/topics/{name}"] = body
        return f"{self.url}/topics/{name}"

    def wait_for_push(self, matches: Callable[[Push], bool], timeout: float) -> Push | None:
        """The first push that matches, waiting for it up to `timeout` seconds."""

        def first() -> Push | None:
            return next((push for push in self.pushes if matches(push)), None)

        with self._changed:
            self._changed.wait_for(lambda: first() is not None, timeout)
            return first()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        subscriber = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path.startswith("/topics/"):
                    topic = subscriber.topics.get(parts.path)
                    if topic is None:
                        self._answer(404, b"")
                    else:
                        self._answer(200, topic, RSS_TYPE)
                    return
                name = parts.path.rsplit("/", 1)[-1]
                query = {key: values[0] for key, values in parse_qs(parts.query).items()}
                subscriber.verifications.append((name, query))
                if name in subscriber.confirming:
                    self._answer(200, query.get("hub.challenge", "").encode())
                elif name in subscriber.refusing:
                    self._answer(404, b"no such subscription")
                else:
                    self._answer(200, b"ok")

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with subscriber._changed:
                    subscriber.pushes.append(Push(self.path, dict(self.headers.items()), body))
                    subscriber._changed.notify_all()
                self._answer(200, b"")

            def _answer(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
