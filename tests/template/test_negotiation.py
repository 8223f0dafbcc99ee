"""Feed content negotiation: one table of cases, run against both implementations of the rule —
functions/feedpub/negotiation.py (the reference) and functions/cloudfront/negotiate.js (the
CloudFront Function that applies it at the edge, run here with node) — plus the template wiring."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from typing import Any, TypedDict

import pytest
from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]
from feedparser.http import ACCEPT_HEADER as FEEDPARSER_ACCEPT

from feedpub.negotiation import FEED_PATH, negotiated_path, wants_html
from tests.support.http import CHROME_ACCEPT
from tests.support.paths import ROOT

NEGOTIATE_JS = ROOT / "functions" / "cloudfront" / "negotiate.js"
TEMPLATE = ROOT / "template.yaml"
NODE = shutil.which("node")

# (who, Accept value or None for no header, wants the HTML page)
ACCEPTS: list[tuple[str, str | None, bool]] = [
    ("chrome", CHROME_ACCEPT, True),
    ("firefox", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
    ("safari", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
    ("upper-case", "TEXT/HTML,*/*;q=0.8", True),
    ("leading-whitespace", " \ttext/html", True),
    ("feedparser", FEEDPARSER_ACCEPT, False),
    # newsboat sets no Accept header of its own; libcurl then sends its default "*/*".
    ("newsboat", "*/*", False),
    ("curl", "*/*", False),
    ("no-header", None, False),
    ("rss", "application/rss+xml", False),
    ("json-feed", "application/feed+json", False),
    ("empty", "", False),
    ("html-not-first", "application/rss+xml,text/html;q=0.5", False),
]

# (path, the sibling index.html when the path is a feed, else None)
PATHS: list[tuple[str, str | None]] = [
    ("/feeds/rss.xml", "/feeds/index.html"),
    ("/feeds/atom.xml", "/feeds/index.html"),
    ("/feeds/feed.json", "/feeds/index.html"),
    ("/feeds/world/atom.xml", "/feeds/world/index.html"),
    ("/feeds/sport/feed.json", "/feeds/sport/index.html"),
    ("/feeds/us-politics-2/rss.xml", "/feeds/us-politics-2/index.html"),
    ("/feeds/tags/port-ellis/rss.xml", "/feeds/tags/port-ellis/index.html"),
    ("/feeds/authors/ana-lima/feed.json", "/feeds/authors/ana-lima/index.html"),
    ("/feeds/partners/smartnews/rss.xml", None),
    ("/feeds/tags/a/b/rss.xml", None),
    ("/feeds/most-viewed.json", None),
    ("/feeds/index.html", None),
    ("/feeds/world/index.html", None),
    ("/world/some-story", None),
    ("/feeds/a/b/rss.xml", None),
    ("/feeds/World/rss.xml", None),
    ("/feeds//rss.xml", None),
    ("/feeds/rss.xml/", None),
    ("/feeds/rss.xml\n", None),
    ("/rss.xml", None),
    ("/", None),
]

CASES = [
    pytest.param(path, accept, sibling if (html and sibling) else path, id=f"{path!r}-{who}")
    for path, sibling in PATHS
    for who, accept, html in ACCEPTS
]
FEED_INDEX_PATHS = {sibling for _, sibling in PATHS if sibling}
"""The feed-set pages: the JS adds Vary to them as well (the viewer-response event may carry the
rewritten URI)."""


@pytest.mark.parametrize(("who", "accept", "html"), ACCEPTS, ids=[a[0] for a in ACCEPTS])
def test_wants_html(who: str, accept: str | None, html: bool) -> None:
    assert wants_html(accept) is html


def test_feedparser_accept_header_is_the_readers_kind() -> None:
    assert FEEDPARSER_ACCEPT.startswith("application/atom+xml")


@pytest.mark.parametrize(("path", "sibling"), PATHS)
def test_feed_path(path: str, sibling: str | None) -> None:
    assert (FEED_PATH.fullmatch(path) is not None) is (sibling is not None)


@pytest.mark.parametrize(("path", "accept", "expected"), CASES)
def test_python_negotiated_path(path: str, accept: str | None, expected: str) -> None:
    assert negotiated_path(path, accept) == expected


# -------------------------------------------------------------------------------------------------
# The CloudFront Function, every case in one node process
# -------------------------------------------------------------------------------------------------

HARNESS = r"""
const fs = require('fs');
const handler = new Function(fs.readFileSync(process.argv[1], 'utf8') + '\nreturn handler;')();
const cases = JSON.parse(fs.readFileSync(0, 'utf8'));
const results = cases.map(function (c) {
    var headers = c.accept === null ? {} : { accept: { value: c.accept } };
    var request = handler({
        version: '1.0',
        context: { eventType: 'viewer-request' },
        viewer: { ip: '192.0.2.1' },
        request: { method: 'GET', uri: c.uri, querystring: {}, headers: headers, cookies: {} },
    });
    var responseHeaders = c.vary === null ? {} : { vary: { value: c.vary } };
    var response = handler({
        version: '1.0',
        context: { eventType: 'viewer-response' },
        viewer: { ip: '192.0.2.1' },
        request: { method: 'GET', uri: c.response_uri, querystring: {}, headers: headers, cookies: {} },
        response: { statusCode: 200, statusDescription: 'OK', headers: responseHeaders, cookies: {} },
    });
    return {
        uri: request.uri,
        vary: response.headers.vary ? response.headers.vary.value : null,
        status: response.statusCode,
    };
});
process.stdout.write(JSON.stringify(results));
"""


class JsCase(TypedDict):
    """One request for the harness: the path and Accept header in, what to expect back."""

    uri: str
    accept: str | None
    response_uri: str
    vary: str | None


def run_js(cases: Sequence[JsCase]) -> list[dict[str, Any]]:
    assert NODE is not None
    completed = subprocess.run(
        [NODE, "-e", HARNESS, str(NEGOTIATE_JS)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    results: list[dict[str, Any]] = json.loads(completed.stdout)
    assert len(results) == len(cases)
    return results


needs_node = pytest.mark.skipif(NODE is None, reason="node is not on PATH: negotiate.js cannot be run")


@needs_node
def test_cloudfront_function_agrees_with_python_on_every_case() -> None:
    cases: list[JsCase] = [
        {"uri": path, "accept": accept, "response_uri": path, "vary": None}
        for path, _sibling in PATHS
        for _who, accept, _html in ACCEPTS
    ]  # the requests of CASES, in order
    results = run_js(cases)
    mismatches = [
        (case["uri"], case["accept"], result["uri"], negotiated_path(case["uri"], case["accept"]))
        for case, result in zip(cases, results, strict=True)
        if result["uri"] != negotiated_path(case["uri"], case["accept"])
    ]
    assert mismatches == []
    for case, result in zip(cases, results, strict=True):
        varies = FEED_PATH.fullmatch(case["uri"]) is not None or case["uri"] in FEED_INDEX_PATHS
        assert result["vary"] == ("accept" if varies else None), case
        assert result["status"] == 200


@needs_node
@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        (None, "accept"),
        ("Origin", "Origin, accept"),
        ("Origin, Accept-Encoding", "Origin, Accept-Encoding, accept"),
        ("Accept", "Accept"),
        ("origin,accept", "origin,accept"),
        ("*", "*"),
    ],
)
def test_cloudfront_function_adds_vary_accept_once(existing: str | None, expected: str) -> None:
    cases: list[JsCase] = [
        # A browser's request: the response event may carry the original or the rewritten URI.
        {"uri": "/feeds/rss.xml", "accept": "text/html", "response_uri": uri, "vary": existing}
        for uri in ("/feeds/rss.xml", "/feeds/index.html", "/feeds/world/feed.json")
    ]
    assert [r["vary"] for r in run_js(cases)] == [expected] * len(cases)


# -------------------------------------------------------------------------------------------------
# template.yaml
# -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    template: dict[str, Any] = json.loads(json.dumps(cfn_yaml.load(str(TEMPLATE))))
    return dict(template["Resources"])


def test_template_inlines_negotiate_js_byte_for_byte(resources: dict[str, Any]) -> None:
    function = resources["FeedNegotiationFunction"]
    assert function["Type"] == "AWS::CloudFront::Function"
    properties = function["Properties"]
    assert properties["FunctionCode"] == NEGOTIATE_JS.read_text(encoding="utf-8")
    assert properties["AutoPublish"] is True
    assert properties["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert len(NEGOTIATE_JS.read_bytes()) <= 10_240  # CloudFront Functions' code size limit


def test_the_distribution_runs_the_function_on_viewer_request_and_response(resources: dict[str, Any]) -> None:
    behavior = resources["SiteDistribution"]["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    arn = {"Fn::GetAtt": ["FeedNegotiationFunction", "FunctionMetadata.FunctionARN"]}
    assert sorted(behavior["FunctionAssociations"], key=lambda a: a["EventType"]) == [
        {"EventType": "viewer-request", "FunctionARN": arn},
        {"EventType": "viewer-response", "FunctionARN": arn},
    ]
    # The negotiation needs no Accept in the cache key: the rewritten URI already separates the
    # variants. The feed cache policy (no headers in the key) must therefore stay compatible with it.
    assert behavior["CachePolicyId"] == {"Ref": "FeedCachePolicy"}
    key = resources["FeedCachePolicy"]["Properties"]["CachePolicyConfig"][
        "ParametersInCacheKeyAndForwardedToOrigin"
    ]
    assert key["HeadersConfig"] == {"HeaderBehavior": "none"}
    assert "CacheBehaviors" not in resources["SiteDistribution"]["Properties"]["DistributionConfig"]


LINK_HARNESS = r"""
const fs = require('fs');
const handler = new Function(fs.readFileSync(process.argv[1], 'utf8') + '\nreturn handler;')();
const cases = JSON.parse(fs.readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(cases.map(function (c) {
    var response = handler({
        version: '1.0',
        context: { eventType: 'viewer-response' },
        viewer: { ip: '192.0.2.1' },
        request: { method: 'GET', uri: c.uri, querystring: {}, headers: {}, cookies: {} },
        response: { statusCode: c.status, statusDescription: '', headers: c.headers, cookies: {} },
    });
    return response.headers;
})));
"""


@needs_node
def test_cloudfront_function_serves_the_stored_link_metadata_as_the_link_header() -> None:
    link = (
        '<https://pubsubhubbub.appspot.com/>; rel="hub", <https://www.example.com/feeds/rss.xml>; rel="self"'
    )
    cases = [
        {"uri": "/feeds/rss.xml", "status": 200, "headers": {"x-amz-meta-link": {"value": link}}},
        {"uri": "/feeds/world/feed.json", "status": 304, "headers": {"x-amz-meta-link": {"value": link}}},
        {"uri": "/feeds/most-viewed.json", "status": 200, "headers": {"x-amz-meta-link": {"value": link}}},
        {"uri": "/feeds/index.html", "status": 200, "headers": {}},
    ]
    completed = subprocess.run(
        [NODE or "node", "-e", LINK_HARNESS, str(NEGOTIATE_JS)],
        input=json.dumps(cases), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    results = json.loads(completed.stdout)
    for result in results[:3]:
        assert result["link"] == {"value": link}
        assert "x-amz-meta-link" not in result
    assert "link" not in results[3]
