"""A WebSub hub (W3C Recommendation, 2018) on 127.0.0.1, so `feedpub serve` shows push end to end.

Subscribers POST `hub.mode=subscribe` (or `unsubscribe`) with `hub.callback` and `hub.topic`; the
hub answers 202 and then verifies the intent: a GET to the callback with a random `hub.challenge`,
active only if the callback echoes it. Publishers POST `hub.mode=publish` with one `hub.url` per
changed topic; the hub answers 202, fetches each topic (through the local front, like any reader)
and POSTs the body to every subscriber of it, signed with `X-Hub-Signature` when the subscriber
gave a secret.

A stand-in, not a production hub: one worker thread does the verifying and delivering in the order
requests came (so each subscriber gets the pushes in publish order), every publish is delivered
even if the content did not change, and a failed delivery is recorded, not retried. What it did is
kept (the last few hundred of each) for tests and for a developer's curiosity.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from feedpub.websub import PUBLISH_CONTENT_TYPE, link_header

log = logging.getLogger("feedpub.hub")

DEFAULT_LEASE_SECONDS = 10 * 24 * 3600
MAX_LEASE_SECONDS = 365 * 24 * 3600
MAX_REQUEST_BYTES = 64 * 1024
MAX_SECRET_BYTES = 199
"""WebSub 5.1: a hub.secret must be less than 200 bytes."""
KEPT_RECORDS = 500


@dataclass(frozen=True, slots=True)
class Subscription:
    """An active subscription: whom to push `topic` to, and until when."""

    topic: str
    callback: str
    secret: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class Verification:
    """One intent verification: whether the callback confirmed it."""

    mode: str
    topic: str
    callback: str
    accepted: bool
    at: float


@dataclass(frozen=True, slots=True)
class Publish:
    """One `hub.mode=publish` request the hub accepted."""

    topics: tuple[str, ...]
    received_at: float


@dataclass(frozen=True, slots=True)
class Delivery:
    """One content distribution: a topic's bytes POSTed to a subscriber, and its answer (0: none)."""

    topic: str
    callback: str
    status: int
    body: bytes
    signed: bool
    at: float


class HubRequestError(ValueError):
    """A hub request that cannot be honoured; the message is the 400's plain-text body."""


class Hub:
    """The hub's HTTP endpoint, its subscriptions and its worker. `start()`, then `stop()`."""

    def __init__(self, port: int = 0, timeout: float = 5.0, clock: Callable[[], float] = time.time) -> None:
        self.timeout = timeout
        """Seconds for each request the hub makes (verification, topic fetch, delivery)."""
        self.clock = clock
        """Epoch seconds: lease expiry and the records' timestamps."""
        self._changed = threading.Condition(threading.RLock())
        self._subscriptions: dict[tuple[str, str], Subscription] = {}
        self._verifications: deque[Verification] = deque(maxlen=KEPT_RECORDS)
        self._publishes: deque[Publish] = deque(maxlen=KEPT_RECORDS)
        self._deliveries: deque[Delivery] = deque(maxlen=KEPT_RECORDS)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hub-worker")
        self._http = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._serving = threading.Thread(
            target=self._http.serve_forever, args=(0.1,), name="hub", daemon=True
        )

    @property
    def url(self) -> str:
        """Where subscribers and publishers POST: the hub URL feeds advertise."""
        return f"http://127.0.0.1:{self._http.server_address[1]}/"

    def start(self) -> None:
        """Accept requests until `stop()`."""
        self._serving.start()

    def stop(self) -> None:
        """Stop accepting requests and drop the work not yet started."""
        self._http.shutdown()
        self._http.server_close()
        self._worker.shutdown(wait=True, cancel_futures=True)

    @property
    def subscriptions(self) -> list[Subscription]:
        """The active subscriptions (verified, lease not run out)."""
        now = self.clock()
        with self._changed:
            return [s for s in self._subscriptions.values() if s.expires_at > now]

    @property
    def verifications(self) -> list[Verification]:
        with self._changed:
            return list(self._verifications)

    @property
    def publishes(self) -> list[Publish]:
        with self._changed:
            return list(self._publishes)

    @property
    def deliveries(self) -> list[Delivery]:
        with self._changed:
            return list(self._deliveries)

    def wait_for(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Wait until `condition()` holds, re-checked whenever the hub records something."""
        with self._changed:
            return self._changed.wait_for(condition, timeout)

    def receive(self, form: list[tuple[str, str]]) -> None:
        """Accept one hub request (raises HubRequestError); the work is queued for the worker."""
        fields = dict(form)
        mode = fields.get("hub.mode", "")
        if mode == "publish":
            topics = tuple(dict.fromkeys(value for name, value in form if name == "hub.url"))
            if not topics:
                raise HubRequestError("hub.mode=publish needs at least one hub.url")
            for topic in topics:
                _check_url("hub.url", topic)
            self._record(self._publishes, Publish(topics, self.clock()))
            self._worker.submit(self._distribute, topics)
        elif mode in ("subscribe", "unsubscribe"):
            topic, callback = fields.get("hub.topic", ""), fields.get("hub.callback", "")
            _check_url("hub.topic", topic)
            _check_url("hub.callback", callback)
            lease = _lease(fields.get("hub.lease_seconds", ""))
            secret = fields.get("hub.secret", "")
            if len(secret.encode()) > MAX_SECRET_BYTES:
                raise HubRequestError(f"hub.secret must be less than {MAX_SECRET_BYTES + 1} bytes")
            self._worker.submit(self._verify, mode, topic, callback, lease, secret)
        else:
            raise HubRequestError("hub.mode must be subscribe, unsubscribe or publish")

    def _record(self, records: deque[Any], record: Any) -> None:
        with self._changed:
            records.append(record)
            self._changed.notify_all()

    def _verify(self, mode: str, topic: str, callback: str, lease: int, secret: str) -> None:
        """Intent verification (WebSub 5.3): active only if the callback echoes the challenge."""
        challenge = secrets.token_urlsafe(24)
        query = {"hub.mode": mode, "hub.topic": topic, "hub.challenge": challenge}
        if mode == "subscribe":
            query["hub.lease_seconds"] = str(lease)
        separator = "&" if urlsplit(callback).query else "?"
        status, _, body = self._request("GET", callback + separator + urlencode(query))
        accepted = HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES and body == challenge.encode()
        with self._changed:
            if accepted and mode == "subscribe":
                expires = self.clock() + lease
                self._subscriptions[(topic, callback)] = Subscription(topic, callback, secret, expires)
            elif accepted:
                self._subscriptions.pop((topic, callback), None)
            self._record(self._verifications, Verification(mode, topic, callback, accepted, self.clock()))

    def _distribute(self, topics: tuple[str, ...]) -> None:
        """Content distribution (WebSub 7): fetch each topic, POST it to each of its subscribers."""
        for topic in topics:
            subscribers = [s for s in self.subscriptions if s.topic == topic]
            if not subscribers:
                continue
            status, content_type, body = self._request("GET", topic)
            if not HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES:
                log.warning("could not fetch topic %s (status %s): nothing delivered", topic, status)
                continue
            for subscriber in subscribers:
                push = {"Content-Type": content_type, "Link": link_header([self.url], topic)}
                if subscriber.secret:
                    digest = hmac.new(subscriber.secret.encode(), body, hashlib.sha256).hexdigest()
                    push["X-Hub-Signature"] = f"sha256={digest}"
                answer, _, _ = self._request("POST", subscriber.callback, body, push)
                signed = bool(subscriber.secret)
                self._record(
                    self._deliveries, Delivery(topic, subscriber.callback, answer, body, signed, self.clock())
                )

    def _request(
        self, method: str, url: str, body: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> tuple[int, str, bytes]:
        """Status, Content-Type and body; status 0 when there was no answer at all."""
        request = urllib.request.Request(url, body, dict(headers or {}), method=method)  # noqa: S310 - http(s) only
        request.add_header("User-Agent", "feedpub-local-hub")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - checked
                return response.status, _content_type(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, _content_type(error.headers), error.read()
        except OSError as error:
            log.warning("%s %s: %s", method, url, error)
            return 0, "", b""


def _content_type(headers: Message) -> str:
    return str(headers.get("Content-Type", "application/octet-stream"))


def _check_url(name: str, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HubRequestError(f"{name} must be an absolute http(s) URL, not {value!r}")


def _lease(value: str) -> int:
    if not value:
        return DEFAULT_LEASE_SECONDS
    if not value.isdigit() or int(value) == 0:
        raise HubRequestError(f"hub.lease_seconds must be a positive number of seconds, not {value!r}")
    return min(int(value), MAX_LEASE_SECONDS)


def _handler(hub: Hub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "feedpub-local-hub"

        def do_POST(self) -> None:
            try:
                hub.receive(self._form())
            except HubRequestError as problem:
                self._answer(HTTPStatus.BAD_REQUEST, f"{problem}\n".encode())
            else:
                self._answer(HTTPStatus.ACCEPTED, b"")

        def _form(self) -> list[tuple[str, str]]:
            content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if content_type != PUBLISH_CONTENT_TYPE:
                raise HubRequestError(f"Content-Type must be {PUBLISH_CONTENT_TYPE}, not {content_type!r}")
            length = self.headers.get("Content-Length", "")
            if not length.isdigit() or int(length) > MAX_REQUEST_BYTES:
                raise HubRequestError(f"Content-Length must be given and at most {MAX_REQUEST_BYTES}")
            try:
                return parse_qsl(self.rfile.read(int(length)).decode(), keep_blank_values=True)
            except UnicodeDecodeError:
                raise HubRequestError("the body must be UTF-8") from None

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug(format, *args)

    return Handler
