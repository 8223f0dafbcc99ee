"""template.yaml: lint, the security-relevant properties of what SAM deploys, a moto deployment,
the sample events, and (when installed) `sam validate --lint`."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import subprocess
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_plus

import boto3
import pytest
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, S3Event, SQSEvent
from cfnlint.api import lint_file  # type: ignore[import-untyped]
from moto import mock_aws

from feedpub_cli.local.stack import (
    FAKE_AWS_ENV,
    ROOT,
    TEMPLATE_PATH,
    Stack,
    create_stack,
    fake_aws_environment,
    load_template,
    translate,
)
from tests.support.events import SAMPLE_EVENTS, sample_event

SAM = ROOT / ".tools" / "sam" / "bin" / "sam"
FUNCTIONS = ("IngestFunction", "PublishFunction", "ViewsFunction", "MostViewedFunction", "PingFunction")
SAM_MANAGED_POLICIES = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
}
ARTICLES_BUCKET_NAME = "${AWS::StackName}-articles-${AWS::AccountId}-${AWS::Region}"
TLS_ONLY = {"Bool": {"aws:SecureTransport": "false"}}


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    """The translated (plain CloudFormation) template."""
    with fake_aws_environment():
        return translate()


@pytest.fixture(scope="module")
def resources(cfn: dict[str, Any]) -> dict[str, Any]:
    return dict(cfn["Resources"])


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """One moto deployment shared by the module's read-mostly tests."""
    with fake_aws_environment(), mock_aws():
        yield create_stack()


def props(resources: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return dict(resources[logical_id]["Properties"])


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# -------------------------------------------------------------------------------------------------
# (a) lint
# -------------------------------------------------------------------------------------------------


def test_cfn_lint_reports_no_errors_or_warnings() -> None:
    matches = lint_file(TEMPLATE_PATH)
    problems = [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches if m.rule.id[0] in "EW"]
    assert problems == []


# -------------------------------------------------------------------------------------------------
# (b) the translated template
# -------------------------------------------------------------------------------------------------


def test_translated_template_has_the_expected_resources(resources: dict[str, Any]) -> None:
    expected = {
        "ArticlesBucket": "AWS::S3::Bucket",
        "ArticlesBucketPolicy": "AWS::S3::BucketPolicy",
        "IngestQueue": "AWS::SQS::Queue",
        "IngestDeadLetterQueue": "AWS::SQS::Queue",
        "IngestQueuePolicy": "AWS::SQS::QueuePolicy",
        "IngestDeadLetterQueuePolicy": "AWS::SQS::QueuePolicy",
        "ArticlesTable": "AWS::DynamoDB::Table",
        "SiteBucket": "AWS::S3::Bucket",
        "SiteBucketPolicy": "AWS::S3::BucketPolicy",
        "SiteOriginAccessControl": "AWS::CloudFront::OriginAccessControl",
        "FeedNegotiationFunction": "AWS::CloudFront::Function",
        "SiteDistribution": "AWS::CloudFront::Distribution",
        "IngestFunction": "AWS::Lambda::Function",
        "IngestFunctionRole": "AWS::IAM::Role",
        "IngestFunctionArticleChanges": "AWS::Lambda::EventSourceMapping",
        "PublishFunction": "AWS::Lambda::Function",
        "PublishFunctionRole": "AWS::IAM::Role",
        "PublishFunctionPublishSchedule": "AWS::Events::Rule",
        "PublishFunctionPublishSchedulePermission": "AWS::Lambda::Permission",
        "LogsBucket": "AWS::S3::Bucket",
        "LogsBucketPolicy": "AWS::S3::BucketPolicy",
        "LogsQueue": "AWS::SQS::Queue",
        "LogsDeadLetterQueue": "AWS::SQS::Queue",
        "LogsQueuePolicy": "AWS::SQS::QueuePolicy",
        "ViewsFunction": "AWS::Lambda::Function",
        "ViewsFunctionRole": "AWS::IAM::Role",
        "ViewsFunctionNewLogs": "AWS::Lambda::EventSourceMapping",
        "MostViewedFunction": "AWS::Lambda::Function",
        "MostViewedFunctionRole": "AWS::IAM::Role",
        "MostViewedFunctionRankSchedule": "AWS::Events::Rule",
        "MostViewedFunctionRankSchedulePermission": "AWS::Lambda::Permission",
        "LogsDeadLetterAlarm": "AWS::CloudWatch::Alarm",
        "AlarmTopic": "AWS::SNS::Topic",
        "AlarmEmailSubscription": "AWS::SNS::Subscription",
        "IngestDeadLetterAlarm": "AWS::CloudWatch::Alarm",
        "IngestErrorsAlarm": "AWS::CloudWatch::Alarm",
        "PublishErrorsAlarm": "AWS::CloudWatch::Alarm",
        "FeedCachePolicy": "AWS::CloudFront::CachePolicy",
        "PingQueue": "AWS::SQS::Queue",
        "PingDeadLetterQueue": "AWS::SQS::Queue",
        "PingQueuePolicy": "AWS::SQS::QueuePolicy",
        "PingFunction": "AWS::Lambda::Function",
        "PingFunctionRole": "AWS::IAM::Role",
        "PingFunctionAnnouncements": "AWS::Lambda::EventSourceMapping",
        "PingDeadLetterAlarm": "AWS::CloudWatch::Alarm",
        "HubNotificationsFailingAlarm": "AWS::CloudWatch::Alarm",
        "EditorsPolicy": "AWS::IAM::ManagedPolicy",
        "Dashboard": "AWS::CloudWatch::Dashboard",
    }
    assert {k: v["Type"] for k, v in resources.items()} == expected


def test_parameters_and_their_defaults(cfn: dict[str, Any]) -> None:
    defaults = {name: spec.get("Default") for name, spec in cfn["Parameters"].items()}
    assert defaults == {
        "SiteTitle": "Example News",
        "SiteBaseUrl": "https://www.example.com",
        "SiteDescription": "The latest stories from Example News.",
        "SiteLanguage": "en",
        "UrlTemplate": "{base_url}/{section}/{id}",
        "IdAuthority": "",
        "ItemsPerFeed": 50,
        "FeedCacheControl": "public, max-age=60, s-maxage=0, proxy-revalidate",
        "WebSubHubs": "https://pubsubhubbub.appspot.com/",
        "TagFeeds": "none",
        "AuthorFeeds": "none",
        "ItemsPerKind": "",
        "Partners": "",
        "SiteLogoUrl": "",
        "PublishSchedule": "rate(5 minutes)",
        "MostViewedSchedule": "rate(5 minutes)",
        "MostViewedItems": 10,
        "MostViewedHours": 24,
        "AccessLogRetentionDays": 30,
        "LogLevel": "INFO",
        "AlarmEmail": "",
    }
    assert cfn["Parameters"]["ItemsPerFeed"]["Type"] == "Number"
    assert re.fullmatch(cfn["Parameters"]["SiteBaseUrl"]["AllowedPattern"], "https://www.example.com")
    assert not re.fullmatch(cfn["Parameters"]["SiteBaseUrl"]["AllowedPattern"], "https://www.example.com/")
    # What CloudFormation lets through, the functions accept (and the reverse, for the examples).
    from feedpub.config import SiteConfig

    accepted = {
        "TagFeeds": ["none", "all", "Climate,Port Ellis"],
        "ItemsPerKind": ["", "tag=20,partner=30"],
        "Partners": ["", "smartnews,msn"],
        "SiteLogoUrl": ["", "https://www.example.com/logo.png"],
    }
    variables = {"TagFeeds": "TAG_FEEDS", "ItemsPerKind": "ITEMS_PER_KIND", "Partners": "PARTNERS",
                 "SiteLogoUrl": "LOGO_URL"}  # fmt: skip
    for name, values in accepted.items():
        for value in values:
            assert re.fullmatch(cfn["Parameters"][name]["AllowedPattern"], value), (name, value)
            SiteConfig.from_env({f"FEEDPUB_{variables[name]}": value})
    refused = (("TagFeeds", ""), ("TagFeeds", ",x"), ("ItemsPerKind", "tags=2"), ("Partners", "msnbc"))
    for name, value in refused:
        assert not re.fullmatch(cfn["Parameters"][name]["AllowedPattern"], value), (name, value)
    hubs = cfn["Parameters"]["WebSubHubs"]
    assert hubs["Type"] == "CommaDelimitedList"
    # CloudFormation checks the pattern against each hub: what the functions would refuse, it refuses.
    for hub in ("https://pubsubhubbub.appspot.com/", "https://hub.example.org", "http://127.0.0.1:8181/", ""):
        assert re.fullmatch(hubs["AllowedPattern"], hub), hub
    for hub in (
        "http://hub.example.org/",
        "ftp://127.0.0.1/",
        "hub.example.org",
        "https:///x",
        "http://10.0.0.1/",
    ):
        assert not re.fullmatch(hubs["AllowedPattern"], hub), hub


def test_articles_bucket_is_versioned_encrypted_private_and_notifies_the_queue(
    resources: dict[str, Any],
) -> None:
    bucket = props(resources, "ArticlesBucket")
    assert bucket["BucketName"] == {"Fn::Sub": ARTICLES_BUCKET_NAME}
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}
    ]
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    noncurrent = [r for r in bucket["LifecycleConfiguration"]["Rules"] if "NoncurrentVersionExpiration" in r]
    assert noncurrent == [
        {
            "Id": "expire-noncurrent-versions",
            "Status": "Enabled",
            "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
        }
    ]
    queue_configs = bucket["NotificationConfiguration"]["QueueConfigurations"]
    assert sorted(c["Event"] for c in queue_configs) == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    for config in queue_configs:
        assert config["Queue"] == {"Fn::GetAtt": ["IngestQueue", "Arn"]}
        assert config["Filter"] == {"S3Key": {"Rules": [{"Name": "prefix", "Value": "articles/"}]}}
    assert as_list(resources["ArticlesBucket"]["DependsOn"]) == ["IngestQueuePolicy"]
    assert resources["ArticlesBucket"]["DeletionPolicy"] == "Retain"


def test_site_bucket_is_encrypted_private_and_unversioned(resources: dict[str, Any]) -> None:
    bucket = props(resources, "SiteBucket")
    assert "BucketName" not in bucket
    assert "VersioningConfiguration" not in bucket
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0] == {
        "ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
        "BucketKeyEnabled": True,
    }
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}


@pytest.mark.parametrize(
    ("policy", "target", "kind"),
    [
        ("ArticlesBucketPolicy", "ArticlesBucket", "s3"),
        ("SiteBucketPolicy", "SiteBucket", "s3"),
        ("IngestQueuePolicy", "IngestQueue", "sqs"),
        ("IngestDeadLetterQueuePolicy", "IngestDeadLetterQueue", "sqs"),
    ],
)
def test_resource_policies_deny_requests_without_tls(
    resources: dict[str, Any], policy: str, target: str, kind: str
) -> None:
    properties = props(resources, policy)
    if kind == "s3":
        assert properties["Bucket"] == {"Ref": target}
        covered = [{"Fn::GetAtt": [target, "Arn"]}, {"Fn::Sub": f"${{{target}.Arn}}/*"}]
    else:
        assert properties["Queues"] == [{"Ref": target}]
        covered = [{"Fn::GetAtt": [target, "Arn"]}]
    denies = [s for s in statements(properties["PolicyDocument"]) if s["Effect"] == "Deny"]
    assert len(denies) == 1
    deny = denies[0]
    assert deny["Principal"] == "*"
    assert deny["Action"] == f"{kind}:*"
    assert deny["Condition"] == TLS_ONLY
    assert sorted(map(json.dumps, as_list(deny["Resource"]))) == sorted(map(json.dumps, covered))


def test_only_this_stacks_articles_bucket_may_send_to_the_ingest_queue(resources: dict[str, Any]) -> None:
    allows = [
        s
        for s in statements(props(resources, "IngestQueuePolicy")["PolicyDocument"])
        if s["Effect"] == "Allow"
    ]
    assert allows == [
        {
            "Sid": "AllowArticlesBucketNotifications",
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": {"Fn::GetAtt": ["IngestQueue", "Arn"]},
            "Condition": {
                "ArnLike": {
                    "aws:SourceArn": {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{ARTICLES_BUCKET_NAME}"}
                },
                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
            },
        }
    ]


def test_only_this_distribution_may_read_the_site_bucket(resources: dict[str, Any]) -> None:
    allows = [
        s
        for s in statements(props(resources, "SiteBucketPolicy")["PolicyDocument"])
        if s["Effect"] == "Allow"
    ]
    assert len(allows) == 1
    allow = allows[0]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert allow["Resource"] == {"Fn::Sub": "${SiteBucket.Arn}/*"}
    assert allow["Condition"] == {
        "StringEquals": {
            "AWS:SourceArn": {
                "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}"
                ":distribution/${SiteDistribution}"
            }
        }
    }


def test_queues_redrive_and_visibility(resources: dict[str, Any]) -> None:
    queue = props(resources, "IngestQueue")
    dlq = props(resources, "IngestDeadLetterQueue")
    assert queue["SqsManagedSseEnabled"] is True
    assert dlq["SqsManagedSseEnabled"] is True
    assert "FifoQueue" not in queue  # S3 cannot notify FIFO queues
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["IngestDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 5,
    }
    assert dlq["MessageRetentionPeriod"] == 1209600
    assert dlq["MessageRetentionPeriod"] > queue.get("MessageRetentionPeriod", 345600)
    timeout = props(resources, "IngestFunction")["Timeout"]
    assert queue["VisibilityTimeout"] >= 6 * timeout


def test_table_keys_recovery_encryption_and_protection(resources: dict[str, Any]) -> None:
    table = props(resources, "ArticlesTable")
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert sorted(a["AttributeName"] + a["AttributeType"] for a in table["AttributeDefinitions"]) == [
        "pkS",
        "skS",
    ]
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"] == {"SSEEnabled": True}
    assert table["DeletionProtectionEnabled"] is True
    assert "GlobalSecondaryIndexes" not in table
    assert "LocalSecondaryIndexes" not in table
    assert resources["ArticlesTable"]["DeletionPolicy"] == "Retain"


def test_cloudfront_reads_the_site_bucket_through_origin_access_control(resources: dict[str, Any]) -> None:
    oac = props(resources, "SiteOriginAccessControl")["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"], oac["SigningProtocol"]) == (
        "s3",
        "always",
        "sigv4",
    )
    config = props(resources, "SiteDistribution")["DistributionConfig"]
    assert config["Enabled"] is True
    assert config["HttpVersion"] == "http2and3"
    assert config["PriceClass"] == "PriceClass_100"
    (origin,) = config["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": ["SiteBucket", "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    behavior = config["DefaultCacheBehavior"]
    assert behavior["TargetOriginId"] == origin["Id"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["CachePolicyId"] == {"Ref": "FeedCachePolicy"}
    policy = props(resources, "FeedCachePolicy")["CachePolicyConfig"]
    # s-maxage=0 must reach the edge as "revalidate every fetch" (MinTTL 0), and nothing may stay
    # at the edge longer than the takedown bound (MaxTTL 60) whatever an object's header says.
    assert (policy["MinTTL"], policy["DefaultTTL"], policy["MaxTTL"]) == (0, 0, 60)
    assert behavior["ResponseHeadersPolicyId"] == "67f7725c-6f97-4210-82d7-5512b31e9d03"  # SecurityHeaders
    assert behavior["Compress"] is True
    assert set(behavior["AllowedMethods"]) == {"GET", "HEAD"}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_functions_share_runtime_settings_and_environment(resources: dict[str, Any], function: str) -> None:
    properties = props(resources, function)
    assert properties["Runtime"] == "python3.13"
    assert properties["Architectures"] == ["arm64"]
    # The ping function only POSTs small forms, with short timeouts of its own.
    assert (properties["MemorySize"], properties["Timeout"]) == (
        (256, 20) if function == "PingFunction" else (512, 60)
    )
    assert properties["TracingConfig"] == {"Mode": "Active"}
    if function == "MostViewedFunction":
        assert properties["ReservedConcurrentExecutions"] == 1
    else:
        assert "ReservedConcurrentExecutions" not in properties
    variables = dict(properties["Environment"]["Variables"])
    if function == "IngestFunction":  # its own queue, for publish requests
        assert variables.pop("INGEST_QUEUE_URL") == {"Ref": "IngestQueue"}
    assert variables == {
        "ARTICLES_BUCKET": {"Ref": "ArticlesBucket"},
        "SITE_BUCKET": {"Ref": "SiteBucket"},
        "TABLE_NAME": {"Ref": "ArticlesTable"},
        "FEEDPUB_TITLE": {"Ref": "SiteTitle"},
        "FEEDPUB_BASE_URL": {"Ref": "SiteBaseUrl"},
        "FEEDPUB_DESCRIPTION": {"Ref": "SiteDescription"},
        "FEEDPUB_LANGUAGE": {"Ref": "SiteLanguage"},
        "FEEDPUB_URL_TEMPLATE": {"Ref": "UrlTemplate"},
        "FEEDPUB_ID_AUTHORITY": {"Ref": "IdAuthority"},
        "FEEDPUB_ITEMS_PER_FEED": {"Ref": "ItemsPerFeed"},
        "FEEDPUB_CACHE_CONTROL": {"Ref": "FeedCacheControl"},
        "FEEDPUB_MOST_VIEWED_ITEMS": {"Ref": "MostViewedItems"},
        "FEEDPUB_MOST_VIEWED_HOURS": {"Ref": "MostViewedHours"},
        "FEEDPUB_FEEDS_URL": {"Fn::Sub": "${SiteBaseUrl}/feeds"},
        "FEEDPUB_WEBSUB_HUBS": {"Fn::Join": [",", {"Ref": "WebSubHubs"}]},
        "FEEDPUB_TAG_FEEDS": {"Ref": "TagFeeds"},
        "FEEDPUB_AUTHOR_FEEDS": {"Ref": "AuthorFeeds"},
        "FEEDPUB_ITEMS_PER_KIND": {"Ref": "ItemsPerKind"},
        "FEEDPUB_PARTNERS": {"Ref": "Partners"},
        "FEEDPUB_LOGO_URL": {"Ref": "SiteLogoUrl"},
        "PING_QUEUE_URL": {"Ref": "PingQueue"},
        "LOCK_SECONDS": "90",
        "POWERTOOLS_SERVICE_NAME": "feedpub",
        "POWERTOOLS_METRICS_NAMESPACE": "Feedpub",
        "POWERTOOLS_LOG_LEVEL": {"Ref": "LogLevel"},
        "LOG_LEVEL": {"Ref": "LogLevel"},
    }
    assert int(variables["LOCK_SECONDS"]) > properties["Timeout"]


@pytest.mark.parametrize(
    ("function", "module"),
    [
        ("IngestFunction", "handlers/ingest.py"),
        ("PublishFunction", "handlers/scheduled.py"),
        ("ViewsFunction", "handlers/views.py"),
        ("MostViewedFunction", "handlers/most_viewed.py"),
        ("PingFunction", "handlers/ping.py"),
    ],
)
def test_handlers_point_at_code_that_exists(resources: dict[str, Any], function: str, module: str) -> None:
    handler = props(resources, function)["Handler"]
    path = ROOT / "functions" / module
    assert handler == module.removesuffix(".py").replace("/", ".") + ".handler"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert "handler" in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_ingest_consumes_the_queue_reporting_batch_item_failures(resources: dict[str, Any]) -> None:
    mapping = props(resources, "IngestFunctionArticleChanges")
    assert mapping == {
        "EventSourceArn": {"Fn::GetAtt": ["IngestQueue", "Arn"]},
        "FunctionName": {"Ref": "IngestFunction"},
        "BatchSize": 10,
        "MaximumBatchingWindowInSeconds": 2,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "ScalingConfig": {"MaximumConcurrency": 5},
    }


def test_publish_runs_on_the_schedule_parameter(resources: dict[str, Any]) -> None:
    rule = props(resources, "PublishFunctionPublishSchedule")
    assert rule["ScheduleExpression"] == {"Ref": "PublishSchedule"}
    assert [t["Arn"] for t in rule["Targets"]] == [{"Fn::GetAtt": ["PublishFunction", "Arn"]}]


def wildcard_actions(statement: dict[str, Any]) -> list[str]:
    return [a for a in as_list(statement.get("Action", [])) if a == "*" or a.endswith(":*")]


def test_no_iam_statement_grants_wildcard_actions_or_resources(resources: dict[str, Any]) -> None:
    roles = {k: v for k, v in resources.items() if v["Type"] == "AWS::IAM::Role"}
    assert set(roles) == {f"{f}Role" for f in FUNCTIONS}
    assert not [k for k, v in resources.items() if v["Type"] == "AWS::IAM::Policy"]
    # The one managed policy is the editors' (no role of the stack holds it): Allow only, no wildcard.
    managed = {k: v for k, v in resources.items() if v["Type"] == "AWS::IAM::ManagedPolicy"}
    assert set(managed) == {"EditorsPolicy"}
    assert not {"Roles", "Users", "Groups"} & set(managed["EditorsPolicy"]["Properties"])
    for statement in statements(managed["EditorsPolicy"]["Properties"]["PolicyDocument"]):
        assert statement["Effect"] == "Allow" and wildcard_actions(statement) == [], statement
        assert "*" not in as_list(statement["Resource"]), statement
    for logical, role in roles.items():
        assert set(role["Properties"]["ManagedPolicyArns"]) <= SAM_MANAGED_POLICIES, logical
        for policy in role["Properties"]["Policies"]:
            for statement in statements(policy["PolicyDocument"]):
                assert statement["Effect"] == "Allow", (logical, statement)
                assert "NotAction" not in statement and "NotResource" not in statement, (logical, statement)
                assert wildcard_actions(statement) == [], (logical, statement)
                assert "*" not in as_list(statement["Resource"]), (logical, statement)
    # Resource policies may deny s3:* / sqs:* (TLS only) but never allow a wildcard.
    for logical, resource in resources.items():
        if resource["Type"] in ("AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy"):
            for statement in statements(resource["Properties"]["PolicyDocument"]):
                if statement["Effect"] == "Allow":
                    assert wildcard_actions(statement) == [], (logical, statement)
                    assert statement["Principal"] != "*", (logical, statement)


def grants(role: dict[str, Any]) -> set[tuple[str, str]]:
    """(action, resource as JSON) pairs of a role's inline policies."""
    pairs = set()
    for policy in role["Properties"]["Policies"]:
        for statement in statements(policy["PolicyDocument"]):
            for action in as_list(statement["Action"]):
                for resource in as_list(statement["Resource"]):
                    pairs.add((action, json.dumps(resource, sort_keys=True)))
    return pairs


def arn(fragment: str) -> str:
    return json.dumps({"Fn::Sub": fragment}, sort_keys=True)


ARTICLES_ARN = json.dumps({"Fn::GetAtt": ["ArticlesBucket", "Arn"]}, sort_keys=True)
TABLE_ARN = json.dumps({"Fn::GetAtt": ["ArticlesTable", "Arn"]}, sort_keys=True)
PING_QUEUE_ARN = json.dumps({"Fn::GetAtt": ["PingQueue", "Arn"]}, sort_keys=True)


def test_ingest_role_is_scoped_to_the_prefixes_it_touches(resources: dict[str, Any]) -> None:
    read_and_tag = ("s3:GetObject", "s3:PutObjectVersionTagging")
    expected = {
        *{(a, arn("${ArticlesBucket.Arn}/articles/*")) for a in read_and_tag},
        ("s3:ListBucket", ARTICLES_ARN),
        ("s3:PutObject", arn("${ArticlesBucket.Arn}/reports/*")),
        ("s3:DeleteObject", arn("${ArticlesBucket.Arn}/reports/*")),
        ("s3:PutObject", arn("${SiteBucket.Arn}/feeds/*")),
        *{(a, arn("${SiteBucket.Arn}/sitemaps/*")) for a in ("s3:PutObject", "s3:DeleteObject")},
        ("sqs:SendMessage", json.dumps({"Fn::GetAtt": ["IngestQueue", "Arn"]})),
        ("sqs:SendMessage", PING_QUEUE_ARN),
        *{(f"dynamodb:{a}", TABLE_ARN)
          for a in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query")},
    }  # fmt: skip
    assert grants(resources["IngestFunctionRole"]) == expected
    assert set(resources["IngestFunctionRole"]["Properties"]["ManagedPolicyArns"]) == SAM_MANAGED_POLICIES


def test_publish_role_is_scoped_to_the_table_and_feeds(resources: dict[str, Any]) -> None:
    expected = {
        *{(f"dynamodb:{a}", TABLE_ARN) for a in ("GetItem", "UpdateItem", "Query")},
        ("s3:PutObject", arn("${SiteBucket.Arn}/feeds/*")),
        *{(a, arn("${SiteBucket.Arn}/sitemaps/*")) for a in ("s3:PutObject", "s3:DeleteObject")},
        ("sqs:SendMessage", PING_QUEUE_ARN),
    }
    assert grants(resources["PublishFunctionRole"]) == expected
    assert set(resources["PublishFunctionRole"]["Properties"]["ManagedPolicyArns"]) == (
        SAM_MANAGED_POLICIES - {"arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"}
    )


def test_ping_function_may_postpone_its_queue_and_keep_the_hub_ledger_only(resources: dict[str, Any]) -> None:
    assert grants(resources["PingFunctionRole"]) == {
        ("sqs:ChangeMessageVisibility", PING_QUEUE_ARN),
        ("dynamodb:GetItem", TABLE_ARN),
        ("dynamodb:UpdateItem", TABLE_ARN),
    }
    mapping = props(resources, "PingFunctionAnnouncements")
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["PingQueue", "Arn"]}
    assert mapping["MaximumBatchingWindowInSeconds"] == 0  # a ping waits for nothing
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queue = props(resources, "PingQueue")
    assert queue["VisibilityTimeout"] >= 6 * props(resources, "PingFunction")["Timeout"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["PingDeadLetterQueue", "Arn"]}
    failing = props(resources, "HubNotificationsFailingAlarm")
    assert (failing["Namespace"], failing["MetricName"]) == ("Feedpub", "HubNotificationsFailed")
    assert (failing["EvaluationPeriods"], failing["DatapointsToAlarm"]) == (3, 3)


def test_alarms_notify_the_topic(resources: dict[str, Any], cfn: dict[str, Any]) -> None:
    dlq_alarm = props(resources, "IngestDeadLetterAlarm")
    assert (dlq_alarm["Namespace"], dlq_alarm["MetricName"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
    )
    assert dlq_alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["IngestDeadLetterQueue", "QueueName"]}}
    ]
    assert (dlq_alarm["Period"], dlq_alarm["EvaluationPeriods"], dlq_alarm["Threshold"]) == (60, 1, 0)
    assert dlq_alarm["ComparisonOperator"] == "GreaterThanThreshold"
    errors = props(resources, "IngestErrorsAlarm")
    assert (errors["Namespace"], errors["MetricName"]) == ("AWS/Lambda", "Errors")
    assert errors["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "IngestFunction"}}]
    for alarm in ("IngestDeadLetterAlarm", "IngestErrorsAlarm", "PublishErrorsAlarm", "PingDeadLetterAlarm",
                  "HubNotificationsFailingAlarm"):  # fmt: skip
        assert props(resources, alarm)["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    # No alias/aws/sns: CloudWatch cannot publish to a topic encrypted with the AWS managed key.
    assert "KmsMasterKeyId" not in props(resources, "AlarmTopic")
    subscription = resources["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert cfn["Conditions"]["HasAlarmEmail"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}


def test_outputs(cfn: dict[str, Any]) -> None:
    outputs = {name: spec["Value"] for name, spec in cfn["Outputs"].items()}
    assert set(outputs) == {
        "ArticlesBucketName", "SiteBucketName", "TableName", "IngestQueueUrl", "IngestDeadLetterQueueUrl",
        "DistributionDomainName", "SiteFeedRssUrl", "SiteFeedAtomUrl", "SiteFeedJsonUrl", "UploadCommand",
        "LogsBucketName", "LogsDeadLetterQueueUrl", "MostViewedFeedUrl", "PingDeadLetterQueueUrl",
        "NewsSitemapUrl", "SitemapIndexUrl", "EditorsPolicyArn", "DashboardName",
    }  # fmt: skip
    # The robots.txt lines name the site's own URLs (its CDN routes /sitemaps/* here).
    assert outputs["NewsSitemapUrl"] == {"Fn::Sub": "${SiteBaseUrl}/sitemaps/news.xml"}
    assert outputs["SitemapIndexUrl"] == {"Fn::Sub": "${SiteBaseUrl}/sitemaps/index.xml"}
    assert outputs["SiteFeedRssUrl"] == {"Fn::Sub": "https://${SiteDistribution.DomainName}/feeds/rss.xml"}
    assert outputs["SiteFeedAtomUrl"] == {"Fn::Sub": "https://${SiteDistribution.DomainName}/feeds/atom.xml"}
    assert outputs["SiteFeedJsonUrl"] == {"Fn::Sub": "https://${SiteDistribution.DomainName}/feeds/feed.json"}


# -------------------------------------------------------------------------------------------------
# (c) the stack in moto
# -------------------------------------------------------------------------------------------------


def test_stack_creates_in_moto_with_working_names(stack: Stack) -> None:
    s3, sqs, dynamodb = boto3.client("s3"), boto3.client("sqs"), boto3.client("dynamodb")
    assert stack.articles_bucket == f"feedpub-test-articles-{stack.account_id}-us-east-1"
    assert s3.get_bucket_versioning(Bucket=stack.articles_bucket)["Status"] == "Enabled"
    assert "Status" not in s3.get_bucket_versioning(Bucket=stack.site_bucket)
    for bucket in (stack.articles_bucket, stack.site_bucket):
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert set(block.values()) == {True}
    table = dynamodb.describe_table(TableName=stack.table_name)["Table"]
    assert table["DeletionProtectionEnabled"] is True
    backups = dynamodb.describe_continuous_backups(TableName=stack.table_name)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    attributes = sqs.get_queue_attributes(QueueUrl=stack.ingest_queue_url, AttributeNames=["All"])[
        "Attributes"
    ]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=stack.dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    assert json.loads(attributes["RedrivePolicy"]) == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5}
    assert attributes["VisibilityTimeout"] == "360"
    assert json.loads(attributes["Policy"])["Statement"][0]["Condition"]["ArnLike"] == {
        "aws:SourceArn": f"arn:aws:s3:::{stack.articles_bucket}"
    }
    assert stack.distribution_domain.endswith(".cloudfront.net")
    assert stack.outputs["SiteFeedRssUrl"] == f"https://{stack.distribution_domain}/feeds/rss.xml"
    assert stack.outputs["ArticlesBucketName"] == stack.articles_bucket
    assert stack.outputs["IngestDeadLetterQueueUrl"] == stack.dlq_url


def test_every_resource_moto_cannot_create_is_recorded_and_recreated(stack: Stack) -> None:
    for entry in stack.stripped:
        assert entry.reason, entry
    not_applied = {e.logical_id for e in stack.stripped if not e.applied}
    # No e-mail given; both bucket policies are all conditional statements moto cannot evaluate.
    assert not_applied <= {
        "AlarmEmailSubscription",
        "ArticlesBucketPolicy",
        "SiteBucketPolicy",
        "LogsBucketPolicy",
    }
    alarms = boto3.client("cloudwatch").describe_alarms()["MetricAlarms"]
    dlq_alarm = next(a for a in alarms if a["AlarmName"].endswith("IngestDeadLetterAlarm"))
    assert dlq_alarm["Dimensions"] == [{"Name": "QueueName", "Value": stack.dlq_url.rsplit("/", 1)[1]}]


def test_s3_notifications_reach_the_ingest_queue(stack: Stack) -> None:
    s3, sqs = boto3.client("s3"), boto3.client("sqs")
    key = "articles/world/café opening (1).md"
    s3.put_object(Bucket=stack.articles_bucket, Key=key, Body=b"---\ntitle: Cafe\n---\nBody.\n")
    s3.put_object(Bucket=stack.articles_bucket, Key="reports/not-an-article.json", Body=b"{}")
    messages = sqs.receive_message(QueueUrl=stack.ingest_queue_url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1, "only articles/ keys notify"
    (record,) = json.loads(messages[0]["Body"])["Records"]
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["bucket"]["name"] == stack.articles_bucket
    assert unquote_plus(record["s3"]["object"]["key"]) == key
    sqs.delete_message(QueueUrl=stack.ingest_queue_url, ReceiptHandle=messages[0]["ReceiptHandle"])


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_environment_is_what_moto_lambda_holds(stack: Stack, function: str) -> None:
    environment = stack.function_environment(function)
    configured = boto3.client("lambda").get_function_configuration(FunctionName=stack.physical_ids[function])
    assert {k: str(v) for k, v in configured["Environment"]["Variables"].items()} == environment
    assert environment["ARTICLES_BUCKET"] == stack.articles_bucket
    assert environment["SITE_BUCKET"] == stack.site_bucket
    assert environment["TABLE_NAME"] == stack.table_name
    assert environment["FEEDPUB_FEEDS_URL"] == "https://www.example.com/feeds"
    assert environment["FEEDPUB_ITEMS_PER_FEED"] == "50"

    from feedpub.config import SiteConfig  # the core reads exactly these variables

    config = SiteConfig.from_env(environment)
    assert (config.title, config.feeds_url, config.items_per_feed, config.websub_hubs) == (
        "Example News",
        "https://www.example.com/feeds",
        50,
        ("https://pubsubhubbub.appspot.com/",),
    )
    assert (config.tag_feeds.enabled, config.author_feeds.enabled, config.partners) == (False, False, ())


def test_function_policies_resolve_to_the_stacks_arns(stack: Stack) -> None:
    table_arn = boto3.client("dynamodb").describe_table(TableName=stack.table_name)["Table"]["TableArn"]
    ping_queue_arn = boto3.client("sqs").get_queue_attributes(
        QueueUrl=stack.physical_ids["PingQueue"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    resources = {r for s in stack.function_policies("IngestFunction") for r in as_list(s["Resource"])}
    assert resources == {
        f"arn:aws:s3:::{stack.articles_bucket}/articles/*",
        f"arn:aws:s3:::{stack.articles_bucket}",
        f"arn:aws:s3:::{stack.articles_bucket}/reports/*",
        f"arn:aws:s3:::{stack.site_bucket}/feeds/*",
        f"arn:aws:s3:::{stack.site_bucket}/sitemaps/*",
        table_arn,
        boto3.client("sqs").get_queue_attributes(
            QueueUrl=stack.ingest_queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"],
        ping_queue_arn,
    }
    publish = {r for s in stack.function_policies("PublishFunction") for r in as_list(s["Resource"])}
    assert publish == {
        f"arn:aws:s3:::{stack.site_bucket}/feeds/*",
        f"arn:aws:s3:::{stack.site_bucket}/sitemaps/*",
        table_arn,
        ping_queue_arn,
    }
    assert set(stack.function_managed_policy_arns("IngestFunction")) == SAM_MANAGED_POLICIES


def test_the_event_source_mapping_exists_but_is_disabled_in_moto(stack: Stack) -> None:
    (mapping,) = boto3.client("lambda").list_event_source_mappings(
        FunctionName=stack.physical_ids["IngestFunction"]
    )["EventSourceMappings"]
    assert mapping["State"] == "Disabled"
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert any("Enabled=false" in note for note in stack.adjustments)


def test_parameters_and_alarm_email_condition(stack: Stack) -> None:
    # A second stack in the same moto account (the module fixture's mock), with parameters.
    parameters = {
        "AlarmEmail": "desk@example.com",
        "SiteBaseUrl": "https://news.example.org",
        "ItemsPerFeed": "20",
    }
    other = create_stack("feedpub-alarms", parameters)
    assert other.articles_bucket != stack.articles_bucket
    topic = other.physical_ids["AlarmTopic"]
    subscriptions = boto3.client("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [("email", "desk@example.com")]
    assert "AlarmEmailSubscription" in {e.logical_id for e in other.stripped if e.applied}
    environment = other.function_environment("IngestFunction")
    assert environment["FEEDPUB_FEEDS_URL"] == "https://news.example.org/feeds"
    assert environment["FEEDPUB_ITEMS_PER_FEED"] == "20"


def test_several_hubs_and_no_hub_reach_the_functions(stack: Stack) -> None:
    from feedpub.config import SiteConfig

    two = create_stack("feedpub-hubs", {"WebSubHubs": "https://hub.example.org/,http://127.0.0.1:9/"})
    config = SiteConfig.from_env(two.function_environment("PingFunction"))
    assert config.websub_hubs == ("https://hub.example.org/", "http://127.0.0.1:9/")
    off = create_stack("feedpub-nopush", {"WebSubHubs": ""})
    assert SiteConfig.from_env(off.function_environment("IngestFunction")).websub_hubs == ()


# -------------------------------------------------------------------------------------------------
# (d) sample events
# -------------------------------------------------------------------------------------------------

# The shape of events/ (what `sam local invoke -e` gives a function); tests/aws/test_sample_events.py
# feeds each of them to its handler on the template's stack.


@pytest.mark.parametrize("name", [n for n in SAMPLE_EVENTS if n.startswith("ingest-sqs")])
def test_sqs_events_carry_real_shaped_s3_notifications(name: str) -> None:
    event = SQSEvent(sample_event(name))
    (record,) = event.records
    assert hashlib.md5(record.body.encode()).hexdigest() == record.md5_of_body
    assert record.event_source == "aws:sqs"
    body = json.loads(record.body)
    if body.get("Event") == "s3:TestEvent":
        assert body["Bucket"] == "feedpub-articles-local"
        return
    (raw,) = body["Records"]
    assert {"eventVersion", "eventSource", "awsRegion", "eventTime", "eventName", "userIdentity",
            "requestParameters", "responseElements", "s3"} <= set(raw)  # fmt: skip
    assert (raw["eventVersion"], raw["eventSource"]) == ("2.1", "aws:s3")
    assert {"s3SchemaVersion", "configurationId", "bucket", "object"} <= set(raw["s3"])
    assert set(raw["s3"]["bucket"]) == {"name", "ownerIdentity", "arn"}
    assert raw["s3"]["bucket"]["name"] == "feedpub-articles-local"
    assert {"key", "versionId", "sequencer"} <= set(raw["s3"]["object"])
    s3_record = S3Event(body).record
    created = s3_record.event_name.startswith("ObjectCreated:")
    assert created == ({"size", "eTag"} <= set(raw["s3"]["object"]))  # deletes carry neither
    expected_key = {
        "ingest-sqs-url-encoded-key.json": "articles/world/café opening (1).md",
    }.get(name, "articles/world/ferry-talks-resume.md")
    assert S3Event(body).object_key == expected_key  # URL-decoded
    assert unquote_plus(s3_record.s3.get_object.key) == expected_key


def test_event_names_match_the_file_names() -> None:
    def event_name(file: str) -> str:
        body = json.loads(sample_event(file)["Records"][0]["body"])
        return str(body["Records"][0]["eventName"])

    assert event_name("ingest-sqs.json") == "ObjectCreated:Put"
    assert event_name("ingest-sqs-delete.json") == "ObjectRemoved:Delete"
    assert event_name("ingest-sqs-delete-marker.json") == "ObjectRemoved:DeleteMarkerCreated"
    assert event_name("ingest-sqs-url-encoded-key.json") == "ObjectCreated:Put"
    body = json.loads(sample_event("ingest-sqs-url-encoded-key.json")["Records"][0]["body"])
    raw_key = body["Records"][0]["s3"]["object"]["key"]
    assert raw_key == "articles/world/caf%C3%A9+opening+%281%29.md"


def test_scheduled_event_is_an_eventbridge_scheduled_event() -> None:
    event = EventBridgeEvent(sample_event("scheduled.json"))
    assert (event.detail_type, event.source, event.detail) == ("Scheduled Event", "aws.events", {})
    assert event.resources[0].startswith("arn:aws:events:us-east-1:")


# -------------------------------------------------------------------------------------------------
# (e) sam validate --lint, with the SAM CLI from its own virtualenv
# -------------------------------------------------------------------------------------------------


@pytest.mark.skipif(
    not (SAM.is_file() and os.access(SAM, os.X_OK)),
    reason="aws-sam-cli is not installed at .tools/sam (run `python3 tasks.py tools`; "
    "it must not go into .venv, whose boto3/click it would downgrade)",
)
def test_sam_validate_lint() -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environment.update(FAKE_AWS_ENV, SAM_CLI_TELEMETRY="0")
    completed = subprocess.run(
        [str(SAM), "validate", "--lint", "--template", str(TEMPLATE_PATH), "--region", "us-east-1"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "is a valid SAM Template" in completed.stdout


def test_template_loads_with_short_form_intrinsics() -> None:
    template = load_template()
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    assert template["Globals"]["Function"]["Environment"]["Variables"]["ARTICLES_BUCKET"] == {
        "Ref": "ArticlesBucket"
    }


# -------------------------------------------------------------------------------------------------
# (f) the dashboard
# -------------------------------------------------------------------------------------------------

QUEUES = ("IngestQueue", "IngestDeadLetterQueue", "LogsQueue", "LogsDeadLetterQueue", "PingQueue",
          "PingDeadLetterQueue")  # fmt: skip


def emitted_metric_names() -> set[str]:
    """Every metric name the handlers can emit (string literals in add_metric calls and their tables)."""
    names = set()
    for path in (ROOT / "functions" / "handlers").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            text = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""
            if re.fullmatch(r"[A-Z][a-z]+(?:[A-Z][a-z]+)+", text):
                names.add(text)
    return names


def test_dashboard_body_is_json_showing_every_queue_function_and_known_metrics(stack: Stack) -> None:
    properties = stack.resolve(stack.resource("Dashboard")["Properties"])
    body = json.loads(properties["DashboardBody"])
    metrics = [m for w in body["widgets"] if w["type"] == "metric" for m in w["properties"]["metrics"]]
    shown: dict[str, set[str]] = {}
    for metric in metrics:
        if isinstance(metric[0], dict):  # a SEARCH expression
            named = re.search(r'MetricName="(\w+)"', metric[0]["expression"])
            assert named, metric
            shown.setdefault("Feedpub", set()).add(named.group(1))
            continue
        namespace, name, *dimensions = metric
        shown.setdefault(namespace, set()).add(name)
        if namespace == "Feedpub":
            assert dimensions[:2] == ["service", "feedpub"], metric
    assert shown["Feedpub"] <= emitted_metric_names()
    # Every metric the issue asks for is there.
    wanted = {"ArticlesAccepted", "ArticlesRejected", "PublishLatency", "FeedsWritten", "FeedsUnchanged",
              "PageViews", "HubNotificationsSent", "HubNotificationsFailed",
              "PartnerRuleFailures"}  # fmt: skip
    assert wanted <= shown["Feedpub"]
    assert shown["AWS/SQS"] == {"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"}
    assert shown["AWS/Lambda"] == {"Errors", "Throttles", "Duration"}
    for metric_name in shown["AWS/SQS"]:
        queues = {m[3] for m in metrics if not isinstance(m[0], dict) and m[1] == metric_name}
        assert queues == {stack.physical_ids[q].rsplit("/", 1)[-1] for q in QUEUES}
    for metric_name in shown["AWS/Lambda"]:
        functions = {m[3] for m in metrics if not isinstance(m[0], dict) and m[1] == metric_name}
        assert functions == {stack.physical_ids[f] for f in FUNCTIONS}
    assert {w["properties"]["region"] for w in body["widgets"] if w["type"] == "metric"} == {stack.region}
    dashboards = boto3.client("cloudwatch").list_dashboards()["DashboardEntries"]
    assert stack.outputs["DashboardName"] in {d["DashboardName"] for d in dashboards}
