"""The local stand-in for CloudFront: serves the site bucket through an edge cache
(feedpub_cli.local.edge) with its stored headers, answers conditional requests with 304, negotiates
feed or page by Accept, renames the stored Link metadata to `Link`, honours invalidations, serves
article previews, and writes access logs in CloudFront's standard format into the logs bucket, so
that local page views reach the most-viewed feeds the same way real ones do.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from feedpub.aws.index_table import ArticleIndex
from feedpub.aws.site_bucket import LINK_METADATA
from feedpub.aws.views_table import ViewCounts
from feedpub.config import SiteConfig
from feedpub.feeds import section_feed
from feedpub.names import SITEMAPS_PREFIX
from feedpub.negotiation import FEED_PATH, negotiated_path
from feedpub.render.html_page import HTML_TYPE, render_article_page
from feedpub.views.counting import normalize_path
from feedpub.views.logs import gzip_text
from feedpub_cli.local.edge import EdgeCache

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


Answer = tuple[int, dict[str, str], bytes]
"""Status, headers and body of one response."""
FEED_INDEX_PATH = re.compile(r"^/feeds/(?:(?:tags/|authors/)?[a-z0-9-]+/)?index\.html$")
"""A feed set's page: the CloudFront Function's viewer-response gives it `Vary: Accept` too."""
LINK_HEADER = f"x-amz-meta-{LINK_METADATA}"
"""How S3 serves the Link header the publisher stores; the viewer gets it renamed to `Link`."""
MAX_REQUEST_BODY = 64 * 1024
TEXT = "text/plain; charset=utf-8"


class Front:
    """What the site's visitors and feed readers talk to."""

    def __init__(self, edge: EdgeCache, index: ArticleIndex, views: ViewCounts, config: SiteConfig,
                 access_log: AccessLog) -> None:  # fmt: skip
        self.edge = edge
        self.index = index
        self.views = views
        self.config = config
        self.access_log = access_log
        self.actions: dict[str, Callable[[], Any]] = {}
        """Local-only triggers, e.g. run a scheduled function now: GET /_local/run/<name>."""

    def invalidate(self, paths: Iterable[str]) -> int:
        """A CloudFront invalidation (exact paths, or ending in `*`); returns how many copies were dropped."""
        return self.edge.invalidate(paths)

    def answer(self, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> Answer:
        """Status, headers and body for one request."""
        path = urlsplit(target).path
        if path.startswith("/_local/run/"):
            action = self.actions.get(path.rsplit("/", 1)[-1])
            if action is None:
                return HTTPStatus.NOT_FOUND, {"Content-Type": TEXT}, b"No such function\n"
            result = action()
            return (
                HTTPStatus.OK,
                {"Content-Type": "application/json"},
                json.dumps(result, default=str).encode(),
            )
        if path == "/_local/invalidate":
            return self._invalidation(method, body)
        if path in ("/", "/feeds", "/feeds/"):
            return HTTPStatus.FOUND, {"Location": "/feeds/index.html"}, b""
        if path.startswith(("/feeds/", f"/{SITEMAPS_PREFIX}/")):  # CloudFront's default behavior serves both
            return site_response(self.edge, path, headers)
        return self._article_page(path)

    def _invalidation(self, method: str, body: bytes) -> Answer:
        """POST /_local/invalidate {"paths": [...]}: what `aws cloudfront create-invalidation` does."""
        if method != "POST":
            return HTTPStatus.METHOD_NOT_ALLOWED, {"Allow": "POST", "Content-Type": TEXT}, b"POST only\n"
        try:
            paths = json.loads(body)["paths"]
        except (ValueError, KeyError, TypeError):
            paths = None
        if not isinstance(paths, list) or not all(isinstance(path, str) for path in paths):
            usage = b'The body must be JSON like {"paths": ["/feeds/*"]}\n'
            return HTTPStatus.BAD_REQUEST, {"Content-Type": TEXT}, usage
        try:
            dropped = self.invalidate(paths)
        except ValueError as exc:
            return HTTPStatus.BAD_REQUEST, {"Content-Type": TEXT}, f"{exc}\n".encode()
        return (
            HTTPStatus.OK,
            {"Content-Type": "application/json"},
            json.dumps({"paths": paths, "invalidated": dropped}).encode(),
        )

    def _article_page(self, path: str) -> Answer:
        target = self.views.resolve_paths([normalize_path(unquote(path))]).get(normalize_path(unquote(path)))
        articles = self.index.get_articles([target.article_id]) if target else {}
        article = articles.get(target.article_id) if target else None
        if article is None or article.draft or not article.is_listed(datetime.now(UTC)):
            return HTTPStatus.NOT_FOUND, {"Content-Type": TEXT}, b"Not found\n"
        page = render_article_page(
            article, self.config, section_feed(self.config, article.section, article.section_title)
        )
        return HTTPStatus.OK, {"Content-Type": HTML_TYPE, "Cache-Control": "no-cache"}, page


def site_response(edge: EdgeCache, asked: str, headers: Mapping[str, str]) -> Answer:
    """A /feeds/ request the way CloudFront answers it: negotiate (viewer-request), look the object
    up in the edge cache, answer the viewer's own conditional request from that copy, and shape the
    headers (viewer-response: `Link` from the object metadata, `Vary: Accept`)."""
    key = negotiated_path(asked, headers.get("accept"))
    got = edge.get(key)
    cache = {"X-Cache": f"{got.result} from cloudfront"}
    if got.status != HTTPStatus.OK:
        return got.status, {"Content-Type": TEXT, **cache}, f"{HTTPStatus(got.status).phrase}\n".encode()
    out = {name: value for name, value in got.headers.items() if name != LINK_HEADER}
    if got.headers.get(LINK_HEADER):
        out["Link"] = got.headers[LINK_HEADER]
    if FEED_PATH.fullmatch(asked) or FEED_INDEX_PATH.fullmatch(key):
        out["Vary"] = "Accept"
    out.update(cache)
    if got.age is not None:
        out["Age"] = str(got.age)
    if not_modified(got.headers, headers):
        return HTTPStatus.NOT_MODIFIED, out, b""
    return HTTPStatus.OK, out, got.body


def not_modified(stored: Mapping[str, str], request: Mapping[str, str]) -> bool:
    """Whether the viewer's copy is current (RFC 9110 13.1: If-None-Match, weakly compared, wins
    over If-Modified-Since)."""
    etag = stored.get("ETag", "").removeprefix("W/")
    if request.get("if-none-match"):
        tags = {tag.strip().removeprefix("W/") for tag in request["if-none-match"].split(",")}
        return "*" in tags or (bool(etag) and etag in tags)
    since, modified = request.get("if-modified-since"), stored.get("Last-Modified")
    if not since or not modified:
        return False
    try:
        return parsedate_to_datetime(modified) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


def make_server(front: Front, port: int) -> ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1 that answers through `front` and logs every request."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "feedpub-local"

        def _respond(self, send_body: bool, request_body: bytes = b"") -> None:
            started = time.perf_counter()
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                status, out_headers, body = front.answer(self.command, self.path, headers, request_body)
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

        def do_POST(self) -> None:
            length = self.headers.get("Content-Length", "")
            too_big = not length.isdigit() or int(length) > MAX_REQUEST_BODY
            self._respond(send_body=True, request_body=b"" if too_big else self.rfile.read(int(length)))

        def log_message(self, format: str, *args: Any) -> None:
            log.debug(format, *args)

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)
