"""A paid story through the whole path on moto: S3 put -> ingest -> index -> feeds. Its body is in
no object of the site bucket and in no item of the table; the public story beside it proves the
search finds a body that is there."""

from __future__ import annotations

import zlib
from typing import Any

from tests.support.events import article
from tests.support.leaks import readings
from tests.support.pipeline import Pipeline

PAID = "Qx1Zpaid says “the deal & its terms” were settled at 5 < 6."
OPEN = "Qx2Zopen says “the deal & its terms” were settled at 5 < 6."


def site_texts(pipeline: Pipeline) -> dict[str, list[str]]:
    """Every object of the site bucket, as every reading of its text."""
    texts: dict[str, list[str]] = {}
    for page in pipeline.s3.get_paginator("list_objects_v2").paginate(Bucket=pipeline.site_bucket):
        for entry in page.get("Contents", []):
            stored = pipeline.site_object(entry["Key"])
            body = stored["Body"].read()
            texts[entry["Key"]] = [
                body.decode("latin-1"),
                *readings(entry["Key"], stored["ContentType"], body),
            ]
    return texts


def table_texts(pipeline: Pipeline) -> list[str]:
    """Every attribute value of every item of the table, payloads decompressed and decoded."""
    found: list[str] = []
    for page in pipeline.dynamodb.get_paginator("scan").paginate(TableName=pipeline.table):
        for item in page["Items"]:
            found.extend(_values(item))
    return found


def _values(item: dict[str, Any]) -> list[str]:
    values: list[str] = []
    for name, value in item.items():
        values.append(name)
        for kind, raw in value.items():
            if kind == "B":
                data = zlib.decompress(raw) if name == "payload" else raw
                values.append(data.decode("latin-1"))
                values.extend(readings("payload.json", "application/json", data) if name == "payload" else ())
            elif kind in ("SS", "NS", "L"):
                values.extend(map(str, raw))
            else:
                values.append(str(raw))
    return values


def test_a_paid_body_is_in_no_site_object_and_no_index_item(pipeline: Pipeline) -> None:
    lead = "PORT ELLIS — The harbour deal was signed on Monday."
    pipeline.upload(
        "articles/business/deal.md", article("Harbour deal", access="paid", body=f"{lead}\n\n{PAID}")
    )
    pipeline.upload("articles/business/open.md", article("Open story", body=f"{lead}\n\n{OPEN}"))
    assert pipeline.deliver() == {"batchItemFailures": []}
    assert pipeline.status_tag("articles/business/deal.md") == "published"
    [paid] = [item for item in pipeline.feed()["items"] if item["id"].endswith("/deal")]
    assert paid["_feedpub"] == {"access": "paid"} and paid["summary"] == lead

    objects = site_texts(pipeline)
    assert {"feeds/rss.xml", "feeds/atom.xml", "feeds/feed.json", "feeds/business/index.html"} <= set(objects)
    assert [key for key, texts in objects.items() if any("Qx1Zpaid" in text for text in texts)] == []
    for key in ("feeds/rss.xml", "feeds/atom.xml", "feeds/feed.json", "feeds/business/feed.json"):
        assert any(OPEN in text for text in objects[key]), key

    items = table_texts(pipeline)
    assert [text for text in items if "Qx1Zpaid" in text] == []
    assert any(OPEN in text for text in items)
