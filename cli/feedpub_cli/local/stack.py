"""template.yaml deployed into moto: the stack the AWS-facing tests run against.

    from feedpub_cli.local.stack import create_stack, fake_aws_environment

    with fake_aws_environment(), mock_aws():
        stack = create_stack()
        s3.put_object(Bucket=stack.articles_bucket, Key="articles/world/x.md", Body=b"...")
        env = stack.function_environment("IngestFunction")   # what the function would get

What happens, in order:

1. `load_template` reads template.yaml with cfn-lint's YAML decoder (it understands !Ref, !Sub,
   !GetAtt ...), `translate` rewrites CodeUri to an S3 URI (as `sam package` would) and runs the
   SAM translator with a fake managed-policy loader (no IAM calls).
2. `create_stack` removes what moto's CloudFormation has no model for (`Stack.stripped`, each with
   its reason) plus anything referring to it, creates the rest with moto's CloudFormation, then
   re-creates the stripped resources and the properties moto's models ignore through the service
   APIs (`Stack.applied`): S3 versioning / public access block / ownership / lifecycle /
   notifications, bucket and queue policies, DynamoDB point-in-time recovery, the CloudFront origin
   access control, function and distribution, the alarms and the alarm e-mail subscription.
3. Intrinsic functions are resolved against the result: Ref and GetAtt of resources moto created
   come from moto itself (through extra stack outputs), those the helper created from the service
   APIs, parameters from the template defaults plus the overrides passed in.
4. moto's S3 is made to notify the stack's buckets where and as AWS does (`local/s3_events.py`;
   each emulated behaviour is listed in `Stack.adjustments`): moto 5.2 sends nothing for the delete
   marker a plain DeleteObject creates in a versioned bucket (the articles bucket), nothing for a
   version or delete marker deleted by id unless it was the key's last, an extra ObjectCreated:Put
   before CompleteMultipartUpload, and records without versionId or sequencer. Every local stack is
   made here, so `feedpub serve` and the tests on the template's stack get the same events.

Deliberate differences from a real deployment (`Stack.adjustments`):
- the SQS event source mapping is created disabled (moto would otherwise run the function in
  Docker on every message; tests receive the messages and call the handlers themselves);
- the s3:TestEvent that S3 (and moto) send when the notification is configured is drained from the
  ingest queue;
- the CloudFront Function is created but not published (moto has no PublishFunction), and moto's
  CloudFront accepts the distribution's FunctionAssociations but does not keep them (the template
  tests and tests/template/test_negotiation.py check them instead);
- bucket-policy statements with a Condition are not applied: moto enforces bucket policies but
  treats any condition it cannot evaluate (aws:SecureTransport, AWS:SourceArn) as matched, so the
  TLS-only Deny would refuse every request and the CloudFront Allow would become a Deny. With this
  template that leaves both bucket policies unapplied (the template tests check them instead).

moto behaviours to know when writing tests against the stack (moto 5.2):
- buckets no stack made (tests that create their own moto resources) keep moto's own
  notifications: none for a delete marker, and keys with "/" URL-encoded (articles%2Fworld%2F...);
  unquote_plus decodes both those and real keys.
- SQS queue policies are stored but not enforced.
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]
from samtranslator.public.translator import ManagedPolicyLoader  # type: ignore[import-untyped]
from samtranslator.translator.transform import transform  # type: ignore[import-untyped]

from feedpub_cli.local.s3_events import emulate_s3_events

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_PATH = ROOT / "template.yaml"
FUNCTIONS_DIR = ROOT / "functions"
REGION = "us-east-1"
STACK_NAME = "feedpub-test"
CODE_BUCKET = "feedpub-test-sam-artifacts"
CODE_KEY = "functions.zip"

FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
"""Credentials and region for moto; `fake_aws_environment` also removes the variables below."""
UNSAFE_AWS_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE",
                  "AWS_SHARED_CREDENTIALS_FILE")  # fmt: skip

# Used only when moto's CloudFormation model registry cannot be imported (it is not public API).
_FALLBACK_UNSUPPORTED = frozenset({
    "AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy", "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudFront::Distribution", "AWS::CloudFront::Function", "AWS::CloudWatch::Alarm",
    "AWS::SNS::Subscription", "AWS::CloudFront::CachePolicy",
})  # fmt: skip
_PSEUDO_PARAMETERS = ("AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::StackName",
                      "AWS::StackId", "AWS::URLSuffix", "AWS::NoValue", "AWS::NotificationARNs")  # fmt: skip
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_NO_VALUE = object()


@contextmanager
def fake_aws_environment(endpoint: str = "") -> Iterator[None]:
    """Fake credentials and us-east-1 for the duration, with profile/endpoint variables removed;
    with `endpoint`, every client is pointed there (a moto server, as `feedpub serve` does)."""
    saved = {name: os.environ.get(name) for name in (*FAKE_AWS_ENV, *UNSAFE_AWS_ENV)}
    try:
        for name in UNSAFE_AWS_ENV:
            os.environ.pop(name, None)
        os.environ.update(FAKE_AWS_ENV)
        if endpoint:
            os.environ["AWS_ENDPOINT_URL"] = endpoint
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# -------------------------------------------------------------------------------------------------
# Template
# -------------------------------------------------------------------------------------------------


class FakeManagedPolicyLoader(ManagedPolicyLoader):  # type: ignore[misc]
    """Answers the translator's managed-policy lookups without calling IAM."""

    NAMES = ("AWSLambdaBasicExecutionRole", "AWSLambdaSQSQueueExecutionRole", "AWSXrayWriteOnlyAccess",
             "AWSLambdaExecute", "AmazonS3ReadOnlyAccess", "AmazonDynamoDBReadOnlyAccess")  # fmt: skip

    def __init__(self) -> None:
        super().__init__(iam_client=None)

    def load(self) -> dict[str, str]:
        service_role = {"AWSLambdaBasicExecutionRole", "AWSLambdaSQSQueueExecutionRole"}
        return {
            name: f"arn:aws:iam::aws:policy/{'service-role/' if name in service_role else ''}{name}"
            for name in self.NAMES
        }


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The SAM template as plain JSON-like data (short-form intrinsics expanded)."""
    loaded: dict[str, Any] = json.loads(json.dumps(cfn_yaml.load(str(path))))
    return loaded


def translate(
    template: Mapping[str, Any] | None = None,
    parameters: Mapping[str, str] | None = None,
    region: str = REGION,
    code_uri: str = f"s3://{CODE_BUCKET}/{CODE_KEY}",
) -> dict[str, Any]:
    """The CloudFormation template SAM would deploy (CodeUri replaced by `code_uri`, as packaged)."""
    sam = copy.deepcopy(dict(template) if template is not None else load_template())
    function_globals = sam.get("Globals", {}).get("Function", {})
    if isinstance(function_globals.get("CodeUri"), str):
        function_globals["CodeUri"] = code_uri
    for resource in sam.get("Resources", {}).values():
        properties = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(properties.get("CodeUri"), str):
            properties["CodeUri"] = code_uri
    values = {"AWS::Region": region, "AWS::Partition": "aws", **(parameters or {})}
    translated = transform(sam, values, FakeManagedPolicyLoader())
    plain: dict[str, Any] = json.loads(json.dumps(translated))
    return plain


def references(node: Any) -> set[str]:
    """Logical ids (resources or parameters) a template fragment refers to."""
    found: set[str] = set()
    if isinstance(node, dict):
        if len(node) == 1:
            ((key, value),) = node.items()
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value.split(".", 1)[0] if isinstance(value, str) else value[0])
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                local = set(value[1]) if isinstance(value, list) and len(value) > 1 else set()
                for name in _SUB_VARIABLE.findall(text):
                    if not name.startswith("!") and name.split(".", 1)[0] not in local:
                        found.add(name.split(".", 1)[0])
        for value in node.values():
            found |= references(value)
    elif isinstance(node, list):
        for value in node:
            found |= references(value)
    return found


def get_atts(node: Any) -> set[tuple[str, str]]:
    """(logical id, attribute) pairs a fragment reads with Fn::GetAtt or ${Id.Attr}."""
    found: set[tuple[str, str]] = set()
    if isinstance(node, dict):
        if len(node) == 1:
            ((key, value),) = node.items()
            if key == "Fn::GetAtt":
                logical, attribute = value.split(".", 1) if isinstance(value, str) else value
                found.add((logical, attribute))
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                for name in _SUB_VARIABLE.findall(text):
                    if "." in name and not name.startswith("!"):
                        logical, attribute = name.split(".", 1)
                        found.add((logical, attribute))
        for value in node.values():
            found |= get_atts(value)
    elif isinstance(node, list):
        for value in node:
            found |= get_atts(value)
    return found


# -------------------------------------------------------------------------------------------------
# Intrinsics
# -------------------------------------------------------------------------------------------------


class UnresolvedError(KeyError):
    """A Ref or GetAtt with no known value."""


@dataclass
class Resolver:
    """Evaluates CloudFormation intrinsics against known Ref and GetAtt values."""

    refs: dict[str, Any]
    """Values of Ref: strings, and lists for CommaDelimitedList parameters."""
    attrs: dict[tuple[str, str], str]
    conditions: Mapping[str, Any]

    def resolve(self, node: Any) -> Any:
        if isinstance(node, dict):
            if len(node) == 1:
                ((key, value),) = node.items()
                handler = self._functions().get(key)
                if handler is not None:
                    return handler(value)
            resolved = {key: self.resolve(value) for key, value in node.items()}
            return {key: value for key, value in resolved.items() if value is not _NO_VALUE}
        if isinstance(node, list):
            return [value for value in (self.resolve(item) for item in node) if value is not _NO_VALUE]
        return node

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.conditions[name]))

    def _functions(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": lambda v: str(v[0]).join(str(self.resolve(x)) for x in self.resolve(v[1])),
            "Fn::Select": lambda v: self.resolve(v[1])[int(self.resolve(v[0]))],
            "Fn::Split": lambda v: str(self.resolve(v[1])).split(v[0]),
            "Fn::If": lambda v: self.resolve(v[1] if self.condition(v[0]) else v[2]),
            "Fn::Equals": lambda v: self.resolve(v[0]) == self.resolve(v[1]),
            "Fn::Not": lambda v: not self.resolve(v[0]),
            "Fn::And": lambda v: all(self.resolve(x) for x in v),
            "Fn::Or": lambda v: any(self.resolve(x) for x in v),
            "Condition": self.condition,
        }

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name not in self.refs:
            raise UnresolvedError(f"no value for Ref {name}")
        return self.refs[name]

    def _get_att(self, value: str | list[str]) -> str:
        logical, attribute = value.split(".", 1) if isinstance(value, str) else value
        if (logical, attribute) not in self.attrs:
            raise UnresolvedError(f"no value for Fn::GetAtt {logical}.{attribute}")
        return self.attrs[(logical, attribute)]

    def _sub(self, value: str | list[Any]) -> str:
        if isinstance(value, str):
            text, local = value, dict[str, Any]()
        else:
            text, local = value[0], (value[1] if len(value) > 1 else {})

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in local:
                return str(self.resolve(local[name]))
            if "." in name:
                return str(self._get_att(name))
            return str(self._ref(name))

        return _SUB_VARIABLE.sub(replace, text)


# -------------------------------------------------------------------------------------------------
# Stack
# -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stripped:
    """A resource not given to moto's CloudFormation, and whether the helper created it instead."""

    logical_id: str
    resource_type: str
    reason: str
    applied: bool = False


@dataclass
class Stack:
    """Physical names of the deployed stack, and what each function gets from the template."""

    name: str
    region: str
    account_id: str
    articles_bucket: str
    site_bucket: str
    table_name: str
    ingest_queue_url: str
    dlq_url: str
    distribution_domain: str
    """What moto's CloudFront returned for SiteDistribution (created by the helper)."""
    template: dict[str, Any]
    """The translated (plain CloudFormation) template, before anything was stripped."""
    parameters: dict[str, str]
    physical_ids: dict[str, str]
    """Logical id -> physical id, for every resource that exists (moto's or the helper's)."""
    outputs: dict[str, str]
    """The template's Outputs, resolved."""
    stripped: list[Stripped]
    applied: list[str]
    """What the helper created or configured through the service APIs after the stack."""
    adjustments: list[str]
    """Where the moto deployment deliberately differs from a real one."""
    resolver: Resolver = field(repr=False)

    def resolve(self, node: Any) -> Any:
        """A template fragment with every intrinsic function replaced by its value."""
        return self.resolver.resolve(node)

    def resource(self, logical_id: str) -> dict[str, Any]:
        """A resource of the translated template (properties unresolved)."""
        return dict(self.template["Resources"][logical_id])

    def function_environment(self, logical_id: str) -> dict[str, str]:
        """The Environment.Variables the function gets, resolved to this stack's names."""
        properties = self._function(logical_id)["Properties"]
        variables = self.resolve(properties.get("Environment", {}).get("Variables", {}))
        return {key: str(value) for key, value in variables.items()}

    def function_policies(self, logical_id: str) -> list[dict[str, Any]]:
        """The inline IAM statements of the function's role (and AWS::IAM::Policy on it), resolved."""
        role_id = self._role_of(logical_id)
        resources = self.template["Resources"]
        documents = [p["PolicyDocument"] for p in resources[role_id]["Properties"].get("Policies", [])]
        for resource in resources.values():
            roles = resource.get("Properties", {}).get("Roles", [])
            if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in roles:
                documents.append(resource["Properties"]["PolicyDocument"])
        statements: list[dict[str, Any]] = []
        for document in documents:
            found = document.get("Statement", [])
            statements.extend(found if isinstance(found, list) else [found])
        return [self.resolve(statement) for statement in statements]

    def function_managed_policy_arns(self, logical_id: str) -> list[str]:
        """The managed policies attached to the function's role (SAM adds AWS managed ones)."""
        properties = self.template["Resources"][self._role_of(logical_id)]["Properties"]
        return [str(arn) for arn in self.resolve(properties.get("ManagedPolicyArns", []))]

    def _function(self, logical_id: str) -> dict[str, Any]:
        resource = self.template["Resources"].get(logical_id)
        if not resource or resource["Type"] != "AWS::Lambda::Function":
            raise KeyError(f"{logical_id} is not an AWS::Lambda::Function of the translated template")
        return dict(resource)

    def _role_of(self, logical_id: str) -> str:
        role = self._function(logical_id)["Properties"]["Role"]
        if isinstance(role, dict) and "Fn::GetAtt" in role:
            target = role["Fn::GetAtt"]
            return str(target.split(".", 1)[0] if isinstance(target, str) else target[0])
        raise KeyError(f"{logical_id}'s role is not a role of this template: {role!r}")


def moto_unsupported_types(types: set[str]) -> dict[str, str]:
    """Resource types moto's CloudFormation would skip, with the reason."""
    try:
        from moto.cloudformation.parsing import get_model_map
    except ImportError:  # pragma: no cover - moto reorganised; fall back to what 5.x lacks
        unsupported = types & _FALLBACK_UNSUPPORTED
    else:
        supported = set(get_model_map())
        unsupported = {t for t in types if t not in supported and not t.startswith("Custom::")}
    return {t: f"moto's CloudFormation has no model for {t}" for t in sorted(unsupported)}


def _moto_supports_attribute(resource_type: str, attribute: str) -> bool:
    try:
        from moto.cloudformation.parsing import get_model_map

        model = get_model_map().get(resource_type)
        return bool(model and model.has_cfn_attr(attribute))
    except Exception:  # pragma: no cover - unknown moto internals: let create_stack decide
        return False


def _code_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(FUNCTIONS_DIR.rglob("*.py")):
            if "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(FUNCTIONS_DIR).as_posix())
    return buffer.getvalue()


def create_stack(
    name: str = STACK_NAME,
    parameters: Mapping[str, str] | None = None,
    *,
    template_path: Path = TEMPLATE_PATH,
    region: str = REGION,
) -> Stack:
    """Deploy template.yaml into moto (call inside `mock_aws()` with fake credentials)."""
    parameters = {key: str(value) for key, value in (parameters or {}).items()}
    session = boto3.session.Session(region_name=region)
    account_id = session.client("sts").get_caller_identity()["Account"]
    translated = translate(load_template(template_path), parameters, region)
    resources: dict[str, Any] = translated["Resources"]
    _upload_code(session.client("s3"), region)

    # 1. What moto cannot create, and everything that refers to it.
    stripped = _strip_unsupported(resources)
    cfn_template, adjustments = _template_for_moto(translated, stripped)
    kept: dict[str, Any] = cfn_template["Resources"]

    # 2. Let moto resolve every Ref and GetAtt of what it creates, through extra outputs.
    probes = _probes(translated, kept)
    cfn_template["Outputs"] = _outputs_for_moto(cfn_template, stripped, probes)
    declared: dict[str, Any] = translated.get("Parameters", {})
    passed = _passed_parameters(declared, parameters)
    deployment = _deploy(session.client("cloudformation"), name, cfn_template, passed, declared)
    pseudo = {
        "AWS::Region": region, "AWS::AccountId": account_id, "AWS::Partition": "aws",
        "AWS::StackName": name, "AWS::StackId": deployment.stack_id, "AWS::URLSuffix": "amazonaws.com",
    }  # fmt: skip
    resolver = _resolver(translated, passed, pseudo, probes, deployment.outputs)

    # 3. What moto dropped, through the service APIs.
    applier = _Applier(session, resolver, deployment.physical_ids)
    _apply_what_moto_dropped(applier, resources, kept, stripped)
    adjustments.extend(applier.adjustments)
    adjustments.extend(_emulate_bucket_events(kept, resolver.refs))

    distribution = next(
        (k for k, r in resources.items() if r["Type"] == "AWS::CloudFront::Distribution"), None
    )
    refs, attrs = resolver.refs, resolver.attrs
    return Stack(
        name=name,
        region=region,
        account_id=account_id,
        articles_bucket=refs["ArticlesBucket"],
        site_bucket=refs["SiteBucket"],
        table_name=refs["ArticlesTable"],
        ingest_queue_url=refs["IngestQueue"],
        dlq_url=refs["IngestDeadLetterQueue"],
        distribution_domain=attrs.get((distribution, "DomainName"), "") if distribution else "",
        template=translated,
        parameters={k: v for k, v in refs.items() if k in declared},
        physical_ids=deployment.physical_ids,
        outputs=_stack_outputs(translated, resolver),
        stripped=list(stripped.values()),
        applied=applier.applied,
        adjustments=adjustments,
        resolver=resolver,
    )


def _upload_code(s3: Any, region: str) -> None:
    """The functions' code where the translated template's CodeUri points, once per moto account."""
    if CODE_BUCKET in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        return
    if region == "us-east-1":
        s3.create_bucket(Bucket=CODE_BUCKET)
    else:
        s3.create_bucket(Bucket=CODE_BUCKET, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_object(Bucket=CODE_BUCKET, Key=CODE_KEY, Body=_code_zip())


def _strip_unsupported(resources: Mapping[str, Any]) -> dict[str, Stripped]:
    """The resources moto's CloudFormation has no model for, and every resource referring to one."""
    reasons = moto_unsupported_types({r["Type"] for r in resources.values()})
    stripped: dict[str, Stripped] = {
        logical: Stripped(logical, r["Type"], reasons[r["Type"]])
        for logical, r in resources.items()
        if r["Type"] in reasons
    }
    changed = True
    while changed:
        changed = False
        for logical, resource in resources.items():
            if logical in stripped:
                continue
            referred = references({k: v for k, v in resource.items() if k != "DependsOn"}) & set(stripped)
            if referred:
                reason = f"refers to {', '.join(sorted(referred))}"
                stripped[logical] = Stripped(logical, resource["Type"], reason)
                changed = True
    return stripped


def _template_for_moto(
    translated: Mapping[str, Any], stripped: Mapping[str, Stripped]
) -> tuple[dict[str, Any], list[str]]:
    """The template moto is given (the stripped resources left out, event source mappings
    disabled), and each way it differs from the real deployment."""
    cfn_template = copy.deepcopy(dict(translated))
    kept = {k: v for k, v in cfn_template["Resources"].items() if k not in stripped}
    cfn_template["Resources"] = kept
    adjustments = [
        f"CodeUri -> s3://{CODE_BUCKET}/{CODE_KEY} (a zip of functions/*.py), as `sam package` would do"
    ]
    for logical, resource in kept.items():
        adjustments += _drop_stripped_dependencies(logical, resource, stripped)
        if resource["Type"] == "AWS::Lambda::EventSourceMapping":
            resource["Properties"]["Enabled"] = False
            adjustments.append(
                f"{logical}: created with Enabled=false (moto would invoke the function in Docker for "
                "every message; tests receive the messages and call the handlers themselves)"
            )
    return cfn_template, adjustments


def _drop_stripped_dependencies(
    logical: str, resource: dict[str, Any], stripped: Mapping[str, Stripped]
) -> list[str]:
    """Remove the stripped resources from a kept resource's DependsOn; says what was dropped."""
    depends = resource.get("DependsOn")
    if depends is None:
        return []
    depends = [depends] if isinstance(depends, str) else depends
    remaining = [d for d in depends if d not in stripped]
    if remaining:
        resource["DependsOn"] = remaining
    else:
        resource.pop("DependsOn")
    if remaining == depends:
        return []
    return [f"{logical}: DependsOn {sorted(set(depends) - set(remaining))} dropped"]


def _probes(translated: Mapping[str, Any], kept: Mapping[str, Any]) -> dict[str, tuple[str, str | None]]:
    """Extra output names, each asking moto for the Ref (attribute None) or a GetAtt of a kept
    resource that the template reads."""
    probes: dict[str, tuple[str, str | None]] = {}
    for logical in kept:
        probes[f"FeedpubProbeRef{len(probes)}"] = (logical, None)
    for logical, attribute in sorted(get_atts(translated)):
        if logical in kept and _moto_supports_attribute(kept[logical]["Type"], attribute):
            probes[f"FeedpubProbeAtt{len(probes)}"] = (logical, attribute)
    return probes


def _outputs_for_moto(
    cfn_template: Mapping[str, Any],
    stripped: Mapping[str, Stripped],
    probes: Mapping[str, tuple[str, str | None]],
) -> dict[str, Any]:
    """The template's outputs that moto can evaluate, plus the probes."""
    outputs = {
        key: value
        for key, value in cfn_template.get("Outputs", {}).items()
        if not references(value) & set(stripped)
    }
    for key, (logical, probed) in probes.items():
        value = {"Ref": logical} if probed is None else {"Fn::GetAtt": [logical, probed]}
        outputs[key] = {"Value": value}
    return outputs


def _list_parameters(declared: Mapping[str, Any]) -> set[str]:
    return {key for key, spec in declared.items() if spec.get("Type") == "CommaDelimitedList"}


def _passed_parameters(declared: Mapping[str, Any], parameters: Mapping[str, str]) -> dict[str, str]:
    """The parameters to pass moto: the overrides, and the defaults of the list parameters (moto
    splits a CommaDelimitedList into a list only when it is passed, not for its Default)."""
    defaults = {key: str(declared[key].get("Default", "")) for key in _list_parameters(declared)}
    return {**defaults, **parameters}


@dataclass(frozen=True)
class _Deployment:
    """What moto's CloudFormation made of the template."""

    stack_id: str
    physical_ids: dict[str, str]
    outputs: dict[str, str]


def _deploy(
    cfn: Any,
    name: str,
    cfn_template: Mapping[str, Any],
    passed: Mapping[str, str],
    declared: Mapping[str, Any],
) -> _Deployment:
    """Create the stack with moto's CloudFormation; raises RuntimeError unless it completes."""
    cfn.create_stack(
        StackName=name,
        TemplateBody=json.dumps(cfn_template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in passed.items() if k in declared],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    description = cfn.describe_stacks(StackName=name)["Stacks"][0]
    if description["StackStatus"] != "CREATE_COMPLETE":
        events = cfn.describe_stack_events(StackName=name)["StackEvents"]
        raise RuntimeError(f"moto could not create {name}: {description['StackStatus']}: {events[:5]}")
    physical_ids = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
        if r.get("PhysicalResourceId")
    }
    outputs = {o["OutputKey"]: o["OutputValue"] for o in description.get("Outputs", [])}
    return _Deployment(description["StackId"], physical_ids, outputs)


def _resolver(
    translated: Mapping[str, Any],
    passed: Mapping[str, str],
    pseudo: Mapping[str, str],
    probes: Mapping[str, tuple[str, str | None]],
    moto_outputs: Mapping[str, str],
) -> Resolver:
    """Ref values of the parameters, pseudo parameters and resources, and GetAtt values, as moto
    answered the probes."""
    declared: dict[str, Any] = translated.get("Parameters", {})
    refs: dict[str, Any] = {
        key: passed.get(key, str(spec.get("Default", ""))) for key, spec in declared.items()
    }
    refs.update({key: refs[key].split(",") for key in _list_parameters(declared)})
    refs.update(pseudo)
    attrs: dict[tuple[str, str], str] = {}
    for key, (logical, probed) in probes.items():
        value = moto_outputs.get(key, "")
        if value in ("", "None") or value.startswith("<moto."):
            continue  # e.g. AWS::Lambda::Permission has no physical id; nothing refers to it
        if probed is None:
            refs[logical] = value
        else:
            attrs[(logical, probed)] = value
    return Resolver(refs, attrs, translated.get("Conditions", {}))


def _apply_what_moto_dropped(
    applier: _Applier, resources: Mapping[str, Any], kept: Mapping[str, Any], stripped: dict[str, Stripped]
) -> None:
    """The properties moto ignored on what it created, then the stripped resources (each marked
    applied when the helper could create it)."""
    for logical, resource in kept.items():
        applier.apply_dropped_properties(logical, resource)
    for logical in _dependency_order(stripped, resources):
        entry = stripped[logical]
        done = applier.create(logical, resources[logical])
        stripped[logical] = Stripped(entry.logical_id, entry.resource_type, entry.reason, done)


def _emulate_bucket_events(kept: Mapping[str, Any], refs: Mapping[str, Any]) -> list[str]:
    """Make moto's S3 notify the stack's buckets as AWS does; says what is emulated."""
    buckets = sorted(logical for logical, r in kept.items() if r["Type"] == "AWS::S3::Bucket")
    emulated = emulate_s3_events(refs[logical] for logical in buckets)
    return [f"{', '.join(buckets)}: S3 {sentence}" for sentence in emulated]


def _stack_outputs(translated: Mapping[str, Any], resolver: Resolver) -> dict[str, str]:
    """The template's Outputs, resolved (those whose Condition is false left out)."""
    outputs: dict[str, str] = {}
    for key, spec in translated.get("Outputs", {}).items():
        if "Condition" in spec and not resolver.condition(spec["Condition"]):
            continue
        outputs[key] = str(resolver.resolve(spec["Value"]))
    return outputs


def _dependency_order(stripped: Mapping[str, Stripped], resources: Mapping[str, Any]) -> list[str]:
    order: list[str] = []
    pending = dict(stripped)
    while pending:
        ready = [
            logical
            for logical in sorted(pending)
            if not (references(resources[logical]) | _depends_on(resources[logical]))
            & (set(pending) - {logical})
        ]
        if not ready:
            raise RuntimeError(f"circular references among stripped resources: {sorted(pending)}")
        for logical in ready:
            order.append(logical)
            del pending[logical]
    return order


def _depends_on(resource: Mapping[str, Any]) -> set[str]:
    depends = resource.get("DependsOn", [])
    return {depends} if isinstance(depends, str) else set(depends)


def _cfn_list(value: list[Any]) -> dict[str, Any]:
    return {"Quantity": len(value), "Items": value}


class _Applier:
    """Creates and configures through the service APIs what moto's CloudFormation does not."""

    def __init__(
        self, session: boto3.session.Session, resolver: Resolver, physical_ids: dict[str, str]
    ) -> None:
        self.session = session
        self.resolver = resolver
        self.physical_ids = physical_ids
        self.applied: list[str] = []
        self.adjustments: list[str] = []

    # -- properties of resources moto created ---------------------------------------------------

    def apply_dropped_properties(self, logical: str, resource: Mapping[str, Any]) -> None:
        properties = self.resolver.resolve(resource.get("Properties", {}))
        if resource["Type"] == "AWS::S3::Bucket":
            self._bucket(logical, self.resolver.refs[logical], properties)
        elif resource["Type"] == "AWS::SQS::Queue":
            self._queue(logical, self.resolver.refs[logical], properties)
        elif resource["Type"] == "AWS::DynamoDB::Table":
            self._table(logical, self.resolver.refs[logical], properties)

    def _bucket(self, logical: str, bucket: str, properties: Mapping[str, Any]) -> None:
        s3: Any = self.session.client("s3")
        versioning = properties.get("VersioningConfiguration")
        if versioning and s3.get_bucket_versioning(Bucket=bucket).get("Status") != versioning["Status"]:
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": versioning["Status"]})
            self.applied.append(f"{logical}: versioning {versioning['Status']}")
        block = properties.get("PublicAccessBlockConfiguration")
        if block:
            s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=block)
            self.applied.append(f"{logical}: public access block")
        ownership = properties.get("OwnershipControls")
        if ownership:
            s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=ownership)
            self.applied.append(f"{logical}: ownership controls")
        lifecycle = properties.get("LifecycleConfiguration")
        if lifecycle:
            rules = [self._lifecycle_rule(rule) for rule in lifecycle["Rules"]]
            s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
            self.applied.append(f"{logical}: lifecycle rules {[r['ID'] for r in rules]}")
        notification = properties.get("NotificationConfiguration")
        if notification:
            self._notifications(logical, bucket, notification)

    @staticmethod
    def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
        known = {
            "Id", "Status", "Prefix", "NoncurrentVersionExpiration", "NoncurrentVersionExpirationInDays",
            "AbortIncompleteMultipartUpload", "ExpirationInDays", "ExpiredObjectDeleteMarker",
        }  # fmt: skip
        unknown = set(rule) - known
        if unknown:
            raise NotImplementedError(f"stack.py cannot apply lifecycle rule keys {sorted(unknown)}")
        api: dict[str, Any] = {
            "ID": rule.get("Id", ""),
            "Status": rule["Status"],
            "Filter": {"Prefix": rule.get("Prefix", "")},
        }
        if "NoncurrentVersionExpiration" in rule:
            api["NoncurrentVersionExpiration"] = dict(rule["NoncurrentVersionExpiration"])
        if "NoncurrentVersionExpirationInDays" in rule:
            api["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule["NoncurrentVersionExpirationInDays"]}
        if "AbortIncompleteMultipartUpload" in rule:
            api["AbortIncompleteMultipartUpload"] = dict(rule["AbortIncompleteMultipartUpload"])
        expiration: dict[str, Any] = {}
        if "ExpirationInDays" in rule:
            expiration["Days"] = int(rule["ExpirationInDays"])  # a Ref to a Number parameter is a string
        if "ExpiredObjectDeleteMarker" in rule:
            expiration["ExpiredObjectDeleteMarker"] = rule["ExpiredObjectDeleteMarker"]
        if expiration:
            api["Expiration"] = expiration
        return api

    def _notifications(self, logical: str, bucket: str, notification: Mapping[str, Any]) -> None:
        s3: Any = self.session.client("s3")
        existing = s3.get_bucket_notification_configuration(Bucket=bucket)
        if existing.get("QueueConfigurations") or existing.get("TopicConfigurations"):
            return
        unsupported = set(notification) - {"QueueConfigurations"}
        if unsupported:
            raise NotImplementedError(
                f"feedpub_cli.local.stack cannot apply {sorted(unsupported)} of {logical}"
            )
        queue_configurations = []
        for entry in notification.get("QueueConfigurations", []):
            api: dict[str, Any] = {"QueueArn": entry["Queue"], "Events": [entry["Event"]]}
            rules = entry.get("Filter", {}).get("S3Key", {}).get("Rules", [])
            if rules:
                filter_rules = [{"Name": r["Name"], "Value": r["Value"]} for r in rules]
                api["Filter"] = {"Key": {"FilterRules": filter_rules}}
            queue_configurations.append(api)
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"QueueConfigurations": queue_configurations}
        )
        self.applied.append(f"{logical}: notifications {[q['Events'][0] for q in queue_configurations]}")
        # S3 (and moto) announce a new configuration with an s3:TestEvent in every target queue.
        sqs: Any = self.session.client("sqs")
        for arn in {q["QueueArn"] for q in queue_configurations}:
            url = sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"]
            response = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            for message in response.get("Messages", []):
                if json.loads(message["Body"]).get("Event") == "s3:TestEvent":
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                    self.adjustments.append(f"{logical}: the s3:TestEvent sent to {arn} was drained")
                else:  # pragma: no cover - nothing else can be there yet
                    sqs.change_message_visibility(
                        QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                    )

    def _queue(self, logical: str, url: str, properties: Mapping[str, Any]) -> None:
        sqs: Any = self.session.client("sqs")
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        wanted: dict[str, str] = {}
        if "RedrivePolicy" in properties and "RedrivePolicy" not in attributes:
            wanted["RedrivePolicy"] = json.dumps(properties["RedrivePolicy"])
        for key in ("VisibilityTimeout", "MessageRetentionPeriod", "SqsManagedSseEnabled"):
            if key in properties and str(attributes.get(key, "")).lower() != str(properties[key]).lower():
                wanted[key] = str(properties[key]).lower()
        if wanted:
            sqs.set_queue_attributes(QueueUrl=url, Attributes=wanted)
            self.applied.append(f"{logical}: attributes {sorted(wanted)}")

    def _table(self, logical: str, table: str, properties: Mapping[str, Any]) -> None:
        pitr = properties.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled")
        if pitr:
            dynamodb: Any = self.session.client("dynamodb")
            dynamodb.update_continuous_backups(
                TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
            )
            self.applied.append(f"{logical}: point-in-time recovery")

    # -- resources moto's CloudFormation cannot create ------------------------------------------

    def create(self, logical: str, resource: Mapping[str, Any]) -> bool:
        condition = resource.get("Condition")
        if condition and not self.resolver.condition(condition):
            self.applied.append(f"{logical}: not created (condition {condition} is false)")
            return False
        creator = {
            "AWS::S3::BucketPolicy": self._bucket_policy,
            "AWS::SQS::QueuePolicy": self._queue_policy,
            "AWS::CloudFront::OriginAccessControl": self._origin_access_control,
            "AWS::CloudFront::Function": self._cloudfront_function,
            "AWS::CloudFront::CachePolicy": self._cache_policy,
            "AWS::CloudFront::Distribution": self._distribution,
            "AWS::CloudWatch::Alarm": self._alarm,
            "AWS::SNS::Subscription": self._subscription,
        }.get(resource["Type"])
        if creator is None:  # pragma: no cover - a new unsupported type: add a creator above
            return False
        return creator(logical, self.resolver.resolve(resource.get("Properties", {}))) is not False

    def _bucket_policy(self, logical: str, properties: Mapping[str, Any]) -> bool:
        # moto enforces bucket policies, but evaluates any statement whose Condition it cannot
        # match (aws:SecureTransport, AWS:SourceArn: it has no request context) as a Deny, so the
        # template's TLS-only Deny would refuse every object request. Only condition-free
        # statements are applied; the template test checks the full policies.
        document = dict(properties["PolicyDocument"])
        statements = document.get("Statement", [])
        statements = statements if isinstance(statements, list) else [statements]
        usable = [statement for statement in statements if "Condition" not in statement]
        left_out = [statement.get("Sid", "?") for statement in statements if "Condition" in statement]
        if left_out:
            self.adjustments.append(
                f"{logical}: statements {left_out} not applied (moto would deny every request: it treats "
                "a Condition it cannot evaluate as a match)"
            )
        if not usable:
            return False
        self.session.client("s3").put_bucket_policy(
            Bucket=properties["Bucket"], Policy=json.dumps({**document, "Statement": usable})
        )
        self.physical_ids[logical] = properties["Bucket"]
        self.applied.append(f"{logical}: put_bucket_policy on {properties['Bucket']}")
        return True

    def _queue_policy(self, logical: str, properties: Mapping[str, Any]) -> None:
        sqs: Any = self.session.client("sqs")
        for url in properties["Queues"]:
            policy = json.dumps(properties["PolicyDocument"])
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
        self.physical_ids[logical] = ",".join(properties["Queues"])
        self.applied.append(f"{logical}: queue policy on {len(properties['Queues'])} queue(s)")

    def _origin_access_control(self, logical: str, properties: Mapping[str, Any]) -> None:
        cloudfront: Any = self.session.client("cloudfront")
        config = properties["OriginAccessControlConfig"]
        created = cloudfront.create_origin_access_control(OriginAccessControlConfig=config)
        oac_id = created["OriginAccessControl"]["Id"]
        self.resolver.refs[logical] = oac_id
        self.resolver.attrs[(logical, "Id")] = oac_id
        self.physical_ids[logical] = oac_id
        self.applied.append(f"{logical}: create_origin_access_control -> {oac_id}")

    def _cloudfront_function(self, logical: str, properties: Mapping[str, Any]) -> None:
        # moto has CreateFunction but no PublishFunction: AutoPublish leaves it in DEVELOPMENT.
        cloudfront: Any = self.session.client("cloudfront")
        config = properties["FunctionConfig"]
        summary = cloudfront.create_function(
            Name=properties["Name"],
            FunctionConfig={"Comment": config.get("Comment", ""), "Runtime": config["Runtime"]},
            FunctionCode=properties["FunctionCode"].encode(),
        )["FunctionSummary"]
        arn = summary["FunctionMetadata"]["FunctionARN"]
        self.resolver.refs[logical] = arn
        self.resolver.attrs[(logical, "FunctionARN")] = arn
        self.resolver.attrs[(logical, "FunctionMetadata.FunctionARN")] = arn
        self.resolver.attrs[(logical, "Stage")] = summary["FunctionMetadata"]["Stage"]
        self.physical_ids[logical] = arn
        self.applied.append(f"{logical}: create_function {properties['Name']}")
        if properties.get("AutoPublish"):
            self.adjustments.append(f"{logical}: not published (moto has no PublishFunction)")

    def _cache_policy(self, logical: str, properties: Mapping[str, Any]) -> None:
        # moto's CloudFront has no CachePolicy API; the local front reads the TTLs from the template.
        policy_id = f"local-{properties['CachePolicyConfig']['Name']}"
        self.resolver.refs[logical] = policy_id
        self.resolver.attrs[(logical, "Id")] = policy_id
        self.physical_ids[logical] = policy_id
        self.adjustments.append(
            f"{logical}: not created (moto has no CachePolicy API); the local front applies its TTLs"
        )

    def _distribution(self, logical: str, properties: Mapping[str, Any]) -> None:
        cloudfront: Any = self.session.client("cloudfront")
        config = properties["DistributionConfig"]
        origins = []
        for origin in config["Origins"]:
            api = {k: v for k, v in origin.items() if k not in ("S3OriginConfig", "CustomOriginConfig")}
            if "S3OriginConfig" in origin:
                identity = origin["S3OriginConfig"].get("OriginAccessIdentity", "")
                api["S3OriginConfig"] = {"OriginAccessIdentity": identity}
            origins.append(api)
        behavior = dict(config["DefaultCacheBehavior"])
        allowed = behavior.pop("AllowedMethods", ["GET", "HEAD"])
        cached = behavior.pop("CachedMethods", ["GET", "HEAD"])
        behavior["AllowedMethods"] = {**_cfn_list(allowed), "CachedMethods": _cfn_list(cached)}
        associations = behavior.pop("FunctionAssociations", [])
        if associations:
            # Accepted by moto's CreateDistribution but not kept: it always reports Quantity 0.
            behavior["FunctionAssociations"] = _cfn_list(associations)
            self.adjustments.append(f"{logical}: FunctionAssociations are not kept by moto's CloudFront")
        api_config: dict[str, Any] = {
            "CallerReference": f"{logical}-{self.resolver.refs['AWS::StackName']}",
            "Comment": config.get("Comment", ""),
            "Enabled": config["Enabled"],
            "Origins": _cfn_list(origins),
            "DefaultCacheBehavior": behavior,
        }
        renamed = {"IPV6Enabled": "IsIPV6Enabled"}
        for key in ("HttpVersion", "PriceClass", "IPV6Enabled", "DefaultRootObject"):
            api_key = renamed.get(key, key)
            if key in config:
                api_config[api_key] = config[key]
        created = cloudfront.create_distribution(DistributionConfig=api_config)["Distribution"]
        self.resolver.refs[logical] = created["Id"]
        self.resolver.attrs[(logical, "Id")] = created["Id"]
        self.resolver.attrs[(logical, "DomainName")] = created["DomainName"]
        self.physical_ids[logical] = created["Id"]
        self.applied.append(f"{logical}: create_distribution -> {created['Id']} ({created['DomainName']})")

    def _alarm(self, logical: str, properties: Mapping[str, Any]) -> None:
        cloudwatch: Any = self.session.client("cloudwatch")
        name = properties.get("AlarmName") or f"{self.resolver.refs['AWS::StackName']}-{logical}"
        arguments = {k: v for k, v in properties.items() if k != "AlarmName"}
        cloudwatch.put_metric_alarm(AlarmName=name, **arguments)
        self.resolver.refs[logical] = name
        self.physical_ids[logical] = name
        self.applied.append(f"{logical}: put_metric_alarm {name}")

    def _subscription(self, logical: str, properties: Mapping[str, Any]) -> None:
        sns: Any = self.session.client("sns")
        arn = sns.subscribe(
            TopicArn=properties["TopicArn"], Protocol=properties["Protocol"], Endpoint=properties["Endpoint"]
        )["SubscriptionArn"]
        self.resolver.refs[logical] = arn
        self.physical_ids[logical] = arn
        self.applied.append(f"{logical}: subscribe {properties['Protocol']}")
