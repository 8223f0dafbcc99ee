"""HTTP as the local stack's clients speak it: one request with exactly the given headers, a form
POSTed to a hub, and the Accept header a browser sends."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlsplit

from feedpub.websub import PUBLISH_CONTENT_TYPE

WAIT = 5.0
"""Seconds a request to a local server may take."""
Form = list[tuple[str, str]]
CHROME_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,"
    "*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
"""What Chrome sends when it follows a link (a navigation)."""


class Response:
    """What came back: status, headers (case-insensitive) and the body."""

    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def request(
    url: str, headers: dict[str, str] | None = None, method: str = "GET", body: bytes | None = None
) -> Response:
    """One request with exactly these headers (http.client adds no Accept, and no User-Agent)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    try:
        connection.request(
            method, parts.path + (f"?{parts.query}" if parts.query else ""), body, headers=headers or {}
        )
        response = connection.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        connection.close()


def post_form(url: str, form: Form, content_type: str = PUBLISH_CONTENT_TYPE) -> tuple[int, str]:
    """POST a form to the hub; (status, body)."""
    request = urllib.request.Request(url, urlencode(form).encode(), {"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=WAIT) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
