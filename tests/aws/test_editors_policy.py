"""EditorsPolicy, as deployed from template.yaml, allows exactly what an editor needs.

Each request an editor might try is judged as IAM would judge it for a user of the stack's account
holding only EditorsPolicy: the identity policy plus the bucket policy of the bucket concerned, with
the request's resource ARN and condition keys (tests/support/iam.py). Where no condition is
involved, moto's own evaluator (`moto.iam.access_control.IAMPolicy`) must agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto.iam.access_control import IAMPolicy, PermissionResult

from tests.support.iam import ALLOW, EXPLICIT_DENY, IMPLICIT_DENY, Request, decide, deciding_statements
from tests.support.pipeline import Pipeline

EDITOR = "arn:aws:iam::123456789012:user/ana.lima"
TLS = {"aws:SecureTransport": "true"}


@dataclass(frozen=True)
class Try:
    """Something an editor might try: the IAM action, where (bucket logical id, key or None for the
    bucket itself, or another resource's logical id), the condition keys, whether it is needed."""

    what: str
    action: str
    where: str
    key: str | None = None
    context: tuple[tuple[str, str], ...] = ()
    needed: bool = False
    plain_http: bool = False


def listing(prefix: str | None) -> tuple[tuple[str, str], ...]:
    return () if prefix is None else (("s3:prefix", prefix),)


ARTICLE = "articles/world/ferry-talks-resume.md"
REPORT = "reports/articles/world/ferry-talks-resume.md.json"
TRIES = [
    # What the newsroom needs.
    Try("upload an article", "s3:PutObject", "ArticlesBucket", ARTICLE, needed=True),
    Try("upload elsewhere", "s3:PutObject", "ArticlesBucket", "articles/sport/final.md", needed=True),
    Try("delete (unpublish) an article", "s3:DeleteObject", "ArticlesBucket", ARTICLE, needed=True),
    Try("read an article back", "s3:GetObject", "ArticlesBucket", ARTICLE, needed=True),
    Try("read its feedpub-status tag", "s3:GetObjectTagging", "ArticlesBucket", ARTICLE, needed=True),
    Try("read a rejection report", "s3:GetObject", "ArticlesBucket", REPORT, needed=True),
    Try("list articles/", "s3:ListBucket", "ArticlesBucket", context=listing("articles/"), needed=True),
    Try("list a section", "s3:ListBucket", "ArticlesBucket", context=listing("articles/sport/"), needed=True),
    Try("list reports/", "s3:ListBucket", "ArticlesBucket", context=listing("reports/"), needed=True),
    # The articles bucket, beyond that.
    Try("write a report", "s3:PutObject", "ArticlesBucket", REPORT),
    Try("delete a report", "s3:DeleteObject", "ArticlesBucket", REPORT),
    Try("write outside articles/", "s3:PutObject", "ArticlesBucket", "notes/todo.md"),
    Try("set the status tag itself", "s3:PutObjectTagging", "ArticlesBucket", ARTICLE),
    Try("tag a version", "s3:PutObjectVersionTagging", "ArticlesBucket", ARTICLE),
    Try("delete a version for good", "s3:DeleteObjectVersion", "ArticlesBucket", ARTICLE),
    Try("list the bucket's root", "s3:ListBucket", "ArticlesBucket", context=listing(None)),
    Try("list with an empty prefix", "s3:ListBucket", "ArticlesBucket", context=listing("")),
    Try("list another prefix", "s3:ListBucket", "ArticlesBucket", context=listing("feeds/")),
    Try("list 'articles' without the slash", "s3:ListBucket", "ArticlesBucket", context=listing("articles")),
    Try("list every version", "s3:ListBucketVersions", "ArticlesBucket", context=listing("articles/")),
    Try("delete the bucket", "s3:DeleteBucket", "ArticlesBucket"),
    Try("replace the bucket policy", "s3:PutBucketPolicy", "ArticlesBucket"),
    Try("turn versioning off", "s3:PutBucketVersioning", "ArticlesBucket"),
    Try("upload over plain HTTP", "s3:PutObject", "ArticlesBucket", ARTICLE, plain_http=True),
    Try("read a report over plain HTTP", "s3:GetObject", "ArticlesBucket", REPORT, plain_http=True),
    # The site and logs buckets, the table, the queues, the functions.
    Try("write a feed", "s3:PutObject", "SiteBucket", "feeds/rss.xml"),
    Try("read a feed from the bucket", "s3:GetObject", "SiteBucket", "feeds/rss.xml"),
    Try("delete a sitemap", "s3:DeleteObject", "SiteBucket", "sitemaps/index.xml"),
    Try("list the site bucket", "s3:ListBucket", "SiteBucket", context=listing("feeds/")),
    Try("read the access logs", "s3:GetObject", "LogsBucket", "pages/E2Q.2026-11-26-14.a.gz"),
    Try("list the access logs", "s3:ListBucket", "LogsBucket", context=listing("pages/")),
    Try("write the index", "dynamodb:PutItem", "ArticlesTable"),
    Try("read the index", "dynamodb:GetItem", "ArticlesTable"),
    Try("scan the index", "dynamodb:Scan", "ArticlesTable"),
    Try("delete the table", "dynamodb:DeleteTable", "ArticlesTable"),
    Try("queue an ingest", "sqs:SendMessage", "IngestQueue"),
    Try("purge the dead letters", "sqs:PurgeQueue", "IngestDeadLetterQueue"),
    Try("announce to the hubs", "sqs:SendMessage", "PingQueue"),
    Try("run the scheduled publish", "lambda:InvokeFunction", "PublishFunction"),
    Try("change a function's settings", "lambda:UpdateFunctionConfiguration", "IngestFunction"),
]  # fmt: skip


def resource_arn(pipeline: Pipeline, attempt: Try) -> str:
    stack = pipeline.stack
    physical = stack.physical_ids[attempt.where]
    if attempt.action.startswith("s3:"):
        return f"arn:aws:s3:::{physical}" + (f"/{attempt.key}" if attempt.key is not None else "")
    if attempt.action.startswith("dynamodb:"):
        return f"arn:aws:dynamodb:{stack.region}:{stack.account_id}:table/{physical}"
    if attempt.action.startswith("sqs:"):
        return f"arn:aws:sqs:{stack.region}:{stack.account_id}:{physical.rsplit('/', 1)[-1]}"
    return f"arn:aws:lambda:{stack.region}:{stack.account_id}:function:{physical}"


def bucket_policies(pipeline: Pipeline) -> dict[str, dict[str, Any]]:
    """The template's bucket policies, resolved, by bucket logical id (the full documents: the local
    stack applies only their condition-free statements to moto)."""
    found = {}
    for logical in ("ArticlesBucketPolicy", "SiteBucketPolicy", "LogsBucketPolicy"):
        properties = pipeline.stack.resolve(pipeline.stack.resource(logical)["Properties"])
        found[logical.removesuffix("Policy")] = dict(properties["PolicyDocument"])
    return found


@pytest.fixture
def editors_policy(pipeline: Pipeline) -> dict[str, Any]:
    """EditorsPolicy as moto's IAM holds it after the deployment (the EditorsPolicyArn output)."""
    iam = boto3.client("iam")
    arn = pipeline.stack.outputs["EditorsPolicyArn"]
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    document = version["Document"]
    return dict(json.loads(document) if isinstance(document, str) else document)


def request_of(pipeline: Pipeline, attempt: Try) -> Request:
    context = {**TLS, **dict(attempt.context)}
    if attempt.plain_http:
        context["aws:SecureTransport"] = "false"
    return Request(attempt.action, resource_arn(pipeline, attempt), EDITOR, context)


def test_editors_get_exactly_what_they_need(pipeline: Pipeline, editors_policy: dict[str, Any]) -> None:
    assert len(TRIES) >= 20
    resource_policies = bucket_policies(pipeline)
    decisions = {}
    for attempt in TRIES:
        request = request_of(pipeline, attempt)
        resource = [resource_policies[attempt.where]] if attempt.where in resource_policies else []
        decisions[attempt.what] = decide(request, [editors_policy], resource)
    wrong = {
        what: decision
        for (what, decision), attempt in zip(decisions.items(), TRIES, strict=True)
        if (decision == ALLOW) != attempt.needed
    }
    assert wrong == {}
    # Plain HTTP is refused by the bucket policy's explicit Deny, not merely left unallowed.
    assert {decisions[t.what] for t in TRIES if t.plain_http} == {EXPLICIT_DENY}
    assert {decisions[t.what] for t in TRIES if not t.needed and not t.plain_http} == {IMPLICIT_DENY}


def test_every_statement_is_needed(pipeline: Pipeline, editors_policy: dict[str, Any]) -> None:
    """No grant beyond the table: each statement allows at least one needed request."""
    used = set()
    for attempt in TRIES:
        if attempt.needed:
            used.update(deciding_statements(request_of(pipeline, attempt), editors_policy))
    assert used == {s["Sid"] for s in editors_policy["Statement"]}


def test_moto_agrees_wherever_no_condition_decides(
    pipeline: Pipeline, editors_policy: dict[str, Any]
) -> None:
    conditioned = {s["Sid"] for s in editors_policy["Statement"] if "Condition" in s}
    moto_policy = IAMPolicy(json.dumps(editors_policy))
    compared = 0
    for attempt in TRIES:
        request = request_of(pipeline, attempt)
        if (
            attempt.action == "s3:ListBucket"
            or set(deciding_statements(request, editors_policy)) & conditioned
        ):
            continue  # moto cannot evaluate s3:prefix (StringLike)
        ours = decide(request, [editors_policy]) == ALLOW
        theirs = (
            moto_policy.is_action_permitted(request.action, request.resource) == PermissionResult.PERMITTED
        )
        assert ours == theirs, attempt.what
        compared += 1
    assert compared >= 20


def test_the_policy_is_attached_to_nobody_by_the_stack(pipeline: Pipeline) -> None:
    iam = boto3.client("iam")
    arn = pipeline.stack.outputs["EditorsPolicyArn"]
    assert arn.startswith(f"arn:aws:iam::{pipeline.stack.account_id}:policy/")
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert entities["PolicyUsers"] == entities["PolicyGroups"] == entities["PolicyRoles"] == []
