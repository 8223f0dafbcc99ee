"""Partners on the template's stack in moto: the SmartNews variant, and blocker findings counted."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import feedparser
import pytest
from aws_lambda_powertools import Logger, Metrics

from feedpub.build import build
from feedpub.clock import utc_now
from handlers.partners import METRIC, report_partner_findings
from tests.support.events import article
from tests.support.pipeline import moto_pipeline

PARTNERS = {"Partners": "smartnews,apple-news", "SiteLogoUrl": "https://www.example.com/logo.png"}
VARIANT = "feeds/partners/smartnews/rss.xml"
STORIES = {
    "articles/world/ferry-talks.md": article("Ferry talks resume as island nations seek a deal"),
    "articles/sport/regatta.md": article(
        "Harbour regatta draws record crowd to the waterfront", published="2026-11-21T08:00:00+07:00"
    ),
}


def test_pipeline_writes_the_smartnews_variant_with_the_build_bytes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with moto_pipeline(monkeypatch, {**PARTNERS, "SiteLanguage": "en-GB"}) as pipeline:
        for key, text in STORIES.items():
            pipeline.upload(key, text)
        assert pipeline.deliver() == {"batchItemFailures": []}
        head = pipeline.site_object(VARIANT)
        body = head["Body"].read()
        assert head["ContentType"] == "application/rss+xml; charset=utf-8"
        parsed = feedparser.parse(body)
        assert parsed.bozo == 0 and len(parsed.entries) == 2
        assert b"<snf:logo>" in body
        result = pipeline.publisher().publish(utc_now(), force={"site"})
        assert VARIANT not in result.written and VARIANT in result.unchanged  # byte-stable
        assert result.partner_findings == []  # en-GB and a logo: no blocker
        for key, text in STORIES.items():
            (tmp_path / "src" / key).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / "src" / key).write_text(text, encoding="utf-8")
        build(tmp_path / "src", tmp_path / "out", pipeline.config, utc_now(), jobs=1)
        assert (tmp_path / "out" / VARIANT).read_bytes() == body


def test_publisher_returns_blockers_and_handlers_count_them_per_partner(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key = "articles/world/ferry-talks.md"
    with moto_pipeline(monkeypatch, {**PARTNERS, "SiteLanguage": "en"}) as pipeline:
        pipeline.upload(key, STORIES[key])
        outcome = pipeline.ingestor().ingest(key, utc_now())
        result = pipeline.publisher().publish(utc_now(), changed=outcome.feeds)
        again = pipeline.publisher().publish(utc_now(), force={"site"})
    locale = {(f.feed, f.rule.id) for f in result.partner_findings}
    xml_feeds = {k for k in result.written if k.startswith("feeds/") and k.endswith(".xml")}  # not sitemaps
    assert locale == {(k, "apple-news/locale") for k in xml_feeds}  # "en" has no region
    assert again.partner_findings == []  # nothing written, nothing checked again
    stream = io.StringIO()
    logger = Logger(service="partners-report-test", logger_handler=logging.StreamHandler(stream))
    capsys.readouterr()
    report_partner_findings(result.partner_findings, logger, Metrics(namespace="Feedpub", service="feedpub"))
    [warning] = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert warning["partner"] == "apple-news" and warning["failures"] == len(xml_feeds)
    assert warning["rules"] == ["apple-news/locale"]
    [emf] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if METRIC in line]
    values = emf[METRIC] if isinstance(emf[METRIC], list) else [emf[METRIC]]
    assert values == [len(xml_feeds)] and emf["partner"] == "apple-news"
    assert sorted(emf["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]) == ["partner", "service"]
