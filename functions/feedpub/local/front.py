"""The local stand-in for CloudFront: serves the site bucket with its stored headers, answers
conditional requests with 304, negotiates feed or page by Accept, serves article previews, and
writes access logs in CloudFront's standard format into the logs bucket, so that local page views
reach the most-viewed feeds the same way real ones do.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from feedpub.aws.index_table import ArticleIndex
from feedpub.aws.views_table import ViewCounts
from feedpub.config import SiteConfig
from feedpub.feeds import section_feed
from feedpub.negotiation import FEED_PATH, negotiated_path
from feedpub.render.html_page import HTML_TYPE, render_article_page
from feedpub.views.counting import normalize_path
from feedpub.views.logs import gzip_text

log = logging.getLogger("feedpub.serve")

LOG_FIELDS = (
    "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) "
    "cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header "
    "cs-protocol cs-bytes time-taken"
)


class AccessLog:
    """Buffers request lines and writes them as a gzip'd CloudFront log object every few seconds."""

    def __init__(self, s3: Any, bucket: str, prefix: str = "pages/", interval: float = 5.0) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.prefix = prefix
        self.interval = interval
        self.lines: list[str] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="access-log", daemon=True)

    def record(self, method: str, host: str, target: str, status: int, size: int, agent: str, referer: str,
               client: str, seconds: float) -> None:  # fmt: skip
        """Add one request, encoded the way CloudFront encodes its fields."""
        now = datetime.now(UTC)
        parts = urlsplit(target)
        fields = [
            now.strftime("%Y-%m-%d"), now.strftime("%H:%M:%S"), "LOCAL1", str(size), client, method, host,
            quote(unquote(parts.path)) or "/", str(status), quote(referer or "-", safe=":/?=&-_.~"),
            quote(agent or "-", safe="/;:,.()-_~"), parts.query or "-", "-",
            "Hit" if status < 400 else "Error", uuid.uuid4().hex, host, "http", "0", f"{seconds:.3f}",
        ]  # fmt: skip
        with self.lock:
            self.lines.append("\t".join(fields))

    def flush(self) -> str | None:
        """Write what was buffered as one log object; returns its key."""
        with self.lock:
            lines, self.lines = self.lines, []
        if not lines:
            return None
        stamp = datetime.now(UTC).strftime("%Y-%m-%d-%H")
        key = f"{self.prefix}LOCAL1.{stamp}.{uuid.uuid4().hex[:8]}.gz"
        body = gzip_text(f"#Version: 1.0\n#Fields: {LOG_FIELDS}\n" + "\n".join(lines) + "\n")
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)
        return key

    def _run(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                self.flush()
            except Exception:
                log.exception("could not write the access log")

    def start(self) -> None:
        """Flush every `interval` seconds until `stop()`."""
        self.thread.start()

    def stop(self) -> None:
        """Flush what is left and stop."""
        self.stopping.set()
        self.thread.join(timeout=5)
        self.flush()


class Front:
    """What the site's visitors and feed readers talk to."""

    def __init__(self, s3: Any, site_bucket: str, index: ArticleIndex, views: ViewCounts,
                 config: SiteConfig, access_log: AccessLog) -> None:  # fmt: skip
        self.s3 = s3
        self.site_bucket = site_bucket
        self.index = index
        self.views = views
        self.config = config
        self.access_log = access_log
        self.actions: dict[str, Callable[[], Any]] = {}
        """Local-only triggers, e.g. run a scheduled function now: GET /_local/run/<name>."""

    def answer(self, method: str, target: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for one request."""
        path = urlsplit(target).path
        if path.startswith("/_local/run/"):
            action = self.actions.get(path.rsplit("/", 1)[-1])
            if action is None:
                return (
                    HTTPStatus.NOT_FOUND,
                    {"Content-Type": "text/plain; charset=utf-8"},
                    b"No such function\n",
                )
            result = action()
            return (
                HTTPStatus.OK,
                {"Content-Type": "application/json"},
                json.dumps(result, default=str).encode(),
            )
        if path in ("/", "/feeds", "/feeds/"):
            return HTTPStatus.FOUND, {"Location": "/feeds/index.html"}, b""
        if path.startswith("/feeds/"):
            return self._site_object(negotiated_path(path, headers.get("accept")), headers, path)
        return self._article_page(path)

    def _site_object(
        self, key_path: str, headers: dict[str, str], asked: str
    ) -> tuple[int, dict[str, str], bytes]:
        kwargs: dict[str, Any] = {"Bucket": self.site_bucket, "Key": key_path.lstrip("/")}
        if headers.get("if-none-match"):
            kwargs["IfNoneMatch"] = headers["if-none-match"]
        elif headers.get("if-modified-since"):
            with contextlib.suppress(TypeError, ValueError):
                kwargs["IfModifiedSince"] = parsedate_to_datetime(headers["if-modified-since"])
        try:
            response = self.s3.get_object(**kwargs)
        except Exception as exc:
            status = int(getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode", 500))
            if status == HTTPStatus.NOT_MODIFIED:
                head = self.s3.head_object(Bucket=self.site_bucket, Key=key_path.lstrip("/"))
                return HTTPStatus.NOT_MODIFIED, self._headers(head, asked), b""
            if status == HTTPStatus.NOT_FOUND:
                return HTTPStatus.NOT_FOUND, {"Content-Type": "text/plain; charset=utf-8"}, b"Not found\n"
            raise
        return HTTPStatus.OK, self._headers(response, asked), response["Body"].read()

    def _headers(self, response: dict[str, Any], asked: str) -> dict[str, str]:
        headers = {
            "Content-Type": response.get("ContentType", "application/octet-stream"),
            "ETag": response.get("ETag", ""),
            "Last-Modified": format_datetime(response["LastModified"].astimezone(UTC), usegmt=True),
        }
        if response.get("CacheControl"):
            headers["Cache-Control"] = response["CacheControl"]
        if FEED_PATH.match(asked):
            headers["Vary"] = "Accept"
        return headers

    def _article_page(self, path: str) -> tuple[int, dict[str, str], bytes]:
        target = self.views.resolve_paths([normalize_path(unquote(path))]).get(normalize_path(unquote(path)))
        articles = self.index.get_articles([target.article_id]) if target else {}
        article = articles.get(target.article_id) if target else None
        if article is None or article.draft or not article.is_listed(datetime.now(UTC)):
            return HTTPStatus.NOT_FOUND, {"Content-Type": "text/plain; charset=utf-8"}, b"Not found\n"
        page = render_article_page(
            article, self.config, section_feed(self.config, article.section, article.section_title)
        )
        return HTTPStatus.OK, {"Content-Type": HTML_TYPE, "Cache-Control": "no-cache"}, page


def make_server(front: Front, port: int) -> ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1 that answers through `front` and logs every request."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "feedpub-local"

        def _respond(self, send_body: bool) -> None:
            started = time.perf_counter()
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                status, out_headers, body = front.answer(self.command, self.path, headers)
            except Exception:
                log.exception("request failed: %s", self.path)
                status, out_headers, body = 500, {"Content-Type": "text/plain"}, b"Internal error\n"
            self.send_response(status)
            for name, value in out_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)
            front.access_log.record(
                self.command, headers.get("host", ""), self.path, int(status), len(body) if send_body else 0,
                headers.get("user-agent", ""), headers.get("referer", ""), self.client_address[0],
                time.perf_counter() - started,
            )  # fmt: skip

        def do_GET(self) -> None:
            self._respond(send_body=True)

        def do_HEAD(self) -> None:
            self._respond(send_body=False)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug(format, *args)

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)
