"""The template's stack for the AWS tests: what `feedpub_cli.local.stack.create_stack` deploys from
template.yaml into moto, the only AWS world the tests run on.

In-process moto (`stack_in_moto`): the first test that asks for a stack (a name, parameters and a
template) in a worker process has create_stack deploy it (1-3 s), and a snapshot of every moto
backend it filled is kept; every later test that asks for the same stack gets a fresh copy of that
snapshot in its own `mock_aws()` (some 50 ms). Each test thus starts from exactly what create_stack
made, its own changes never seen by another test, without paying the deployment per test.

Server mode (`stack_on_endpoint`): create_stack against a moto server, the way `feedpub serve`
creates its stack (its clients follow AWS_ENDPOINT_URL), for the tests whose function instances
run concurrently in threads (moto in-process is not thread-safe).

What the drivers read from the stack rather than repeat: each function's environment
(`Stack.function_environment`), the batch size of its event source mapping and the queue it
reads (`functions_of`, as `feedpub serve` runs them), and the redrive policy of its queue
(`max_receive_count`). `edited_template` writes a copy of template.yaml with values changed, so a
test can show that a change to the template reaches the pipeline.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import threading
import weakref
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from feedpub_cli.local.runner import LocalFunction, functions_of
from feedpub_cli.local.s3_events import emulate_s3_events
from feedpub_cli.local.stack import (
    STACK_NAME,
    TEMPLATE_PATH,
    Stack,
    create_stack,
    fake_aws_environment,
    load_template,
)

ACCOUNT = "123456789012"
"""moto's default account, the one every stack here is deployed in."""
PIPELINE_PARAMETERS = {"SiteTitle": "The Harbour Herald", "WebSubHubs": ""}
"""The parameters of the stack most AWS tests run on: the site the tests' articles belong to, and
push off (tests/aws/test_push.py and test_least_privilege.py deploy it with a hub)."""


# -- In-process moto: deployed once per process, restored per test ------------------------------


@dataclass(frozen=True)
class _Snapshot:
    stack: Stack
    backends: list[tuple[Any, str, str]]
    """(BackendDict, account, region) of each moto backend the deployment filled."""
    state: bytes
    """Those backends, pickled together (objects they share stay shared when restored)."""


_snapshots: dict[tuple[str, str, str, str], _Snapshot] = {}


def stack_in_moto(
    name: str = STACK_NAME,
    parameters: Mapping[str, str] | None = None,
    template_path: Path = TEMPLATE_PATH,
) -> Stack:
    """The stack create_stack deploys from `template_path` with `parameters`, in the current
    `mock_aws()`, which must hold nothing yet (its backends are replaced).

    Deployed by create_stack the first time this process asks for it; after that, restored from a
    snapshot of what that deployment left in moto. The Stack returned is shared: read it only.
    """
    from moto.core.base_backend import BackendDict

    given = {key: str(value) for key, value in (parameters or {}).items()}
    template = Path(template_path)
    key = (name, json.dumps(given, sort_keys=True), str(template), _digest(template))
    snapshot = _snapshots.get(key)
    if snapshot is None:
        stack = create_stack(name, given, template_path=template)
        in_use: list[Any] = BackendDict._instances  # type: ignore[misc]  # the backends moto filled
        backends = [
            (backend_dict, account, region)
            for backend_dict in in_use
            for account, regional in backend_dict.items()
            for region in regional
        ]
        objects = [backend_dict[account][region] for backend_dict, account, region in backends]
        snapshot = _Snapshot(stack, backends, _pickle(objects))
        _snapshots[key] = snapshot
        return stack
    restored = pickle.loads(snapshot.state)  # this process's own bytes
    for (backend_dict, account, region), backend in zip(snapshot.backends, restored, strict=True):
        dict.__setitem__(backend_dict[account], region, backend)
    # create_stack made moto notify the stack's buckets as S3 does; that holds for the process.
    emulate_s3_events(snapshot.stack.physical_ids[logical] for logical in _buckets(snapshot.stack))
    return snapshot.stack


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _buckets(stack: Stack) -> list[str]:
    return [k for k, r in stack.template["Resources"].items() if r["Type"] == "AWS::S3::Bucket"]


class _Pickler(pickle.Pickler):
    """Pickles moto's backends: the few objects in them that pickle cannot copy are rebuilt."""

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind in _LOCKS:  # a queue's lock, a condition's: new and unheld in the copy
            return _LOCKS[kind], ()
        if kind is threading.Condition:
            return threading.Condition, ()
        if kind is weakref.WeakValueDictionary:  # Lambda's functions by ARN (held strongly elsewhere)
            return weakref.WeakValueDictionary, (dict(obj.items()),)
        if kind is defaultdict and getattr(obj.default_factory, "__name__", "") == "<lambda>":
            return defaultdict, (type(obj.default_factory()), dict(obj))  # defaultdict(lambda: {})
        if kind.__module__.startswith("cryptography") and hasattr(obj, "private_bytes"):
            return _private_key, (_pem(obj),)  # KMS keys (the table's encryption key)
        return NotImplemented


_LOCKS: dict[type, Any] = {type(threading.Lock()): threading.Lock, type(threading.RLock()): threading.RLock}


def _pickle(objects: list[Any]) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(objects)
    return buffer.getvalue()


def _pem(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    pem: bytes = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem


@cache
def _private_key(pem: bytes) -> Any:
    """The key, loaded once per process (loading checks an RSA key: tens of ms); keys are immutable."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    return load_pem_private_key(pem, None)


# -- Server mode --------------------------------------------------------------------------------


def stack_on_endpoint(
    endpoint: str,
    name: str = STACK_NAME,
    parameters: Mapping[str, str] | None = None,
    template_path: Path = TEMPLATE_PATH,
) -> Stack:
    """create_stack against the moto server at `endpoint` (AWS_ENDPOINT_URL and fake credentials
    for the duration, as `feedpub serve` sets them)."""
    with fake_aws_environment(endpoint):
        return create_stack(name, parameters, template_path=template_path)


# -- What the template says the pipeline does ---------------------------------------------------


def function(stack: Stack, logical_id: str) -> LocalFunction:
    """A function of the template with its trigger: the queue it reads and the event source
    mapping's batch size, or its schedule (as `feedpub serve` runs it)."""
    return functions_of(stack)[logical_id]


def batch_size(stack: Stack, logical_id: str) -> int:
    """How many messages Lambda hands the function at most per invocation (its BatchSize)."""
    found = function(stack, logical_id)
    assert found.queue_url, f"{logical_id} reads no queue"
    return found.batch_size


def max_receive_count(stack: Stack, queue_logical_id: str) -> int:
    """After how many receives the queue moves a message to its dead-letter queue."""
    policy = stack.resolve(stack.resource(queue_logical_id)["Properties"]["RedrivePolicy"])
    return int(policy["maxReceiveCount"])


def dead_letter_queue(stack: Stack, queue_logical_id: str) -> str:
    """The URL of the queue's dead-letter queue (its RedrivePolicy's target)."""
    target = stack.resource(queue_logical_id)["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]
    (get_att,) = target.values()  # {"Fn::GetAtt": [the dead-letter queue, "Arn"]}
    logical = get_att.split(".", 1)[0] if isinstance(get_att, str) else get_att[0]
    return stack.physical_ids[logical]


def edited_template(directory: Path, changes: Mapping[tuple[str, ...], Any]) -> Path:
    """A copy of template.yaml in `directory` with each value at a path (keys from the top of the
    template: ("Resources", "IngestQueue", "Properties", ...)) replaced; every path must exist.

    Written as JSON (a template create_stack, cfn-lint and CloudFormation read as they read YAML),
    with the short-form intrinsics expanded."""
    template = load_template(TEMPLATE_PATH)
    for path, value in changes.items():
        node = template
        for key in path[:-1]:
            node = node[key]
        assert path[-1] in node, f"template.yaml has no {'.'.join(path)}"
        node[path[-1]] = value
    edited = directory / "template.json"
    edited.write_text(json.dumps(template, indent=2))
    return edited
