"""What the Lambda benchmarks share: moto in server mode outside the measured process, the
environment template.yaml gives each function, and a fresh interpreter that runs one handler as
the Lambda Python runtime does (import = the init phase, then invocations).

The child interpreter gets PYTHONPATH=functions (what `sam build` puts in the package), the
function's variables from template.yaml (parameter defaults, resource names of the benchmark's moto
account), the variables the Lambda runtime itself defines (LAMBDA_TASK_ROOT, AWS_LAMBDA_*,
AWS_XRAY_*: with them Powertools' Tracer is on, as with `Tracing: Active`), dummy credentials and
AWS_ENDPOINT_URL pointing boto3 at the moto server. X-Ray segments go by UDP to a local socket the
benchmark reads, so tracing is checked to work rather than assumed.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ROOT / "functions"
TEMPLATE = ROOT / "template.yaml"
REGION = "us-east-1"
ACCOUNT = "123456789012"
PYTHON_RUNTIME = "python3.13"
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "benchmark",
    "AWS_SECRET_ACCESS_KEY": "benchmark",
    "AWS_SESSION_TOKEN": "benchmark",
}
RESULT_MARK = "BENCHMARK-RESULT "


# -- the template -----------------------------------------------------------------------------------


class _TemplateLoader(yaml.SafeLoader):
    """Reads CloudFormation short forms (!Ref, !Sub, !GetAtt ...) as their long forms."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_TemplateLoader.add_multi_constructor("!", _intrinsic)


def load_template() -> dict[str, Any]:
    """template.yaml as plain data (PyYAML: cfn-lint's loader takes seconds to import)."""
    loaded: dict[str, Any] = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_TemplateLoader)
    return loaded


@dataclass(frozen=True)
class TemplateFunction:
    """One AWS::Serverless::Function of the template."""

    logical_id: str
    handler: str
    """e.g. handlers.ingest.handler"""
    memory_mb: int
    batch_size: int
    variables: dict[str, Any]
    """Environment variables, Globals merged with the function's own, unresolved."""

    @property
    def module(self) -> str:
        return self.handler.rpartition(".")[0]


def template_functions() -> dict[str, TemplateFunction]:
    """The template's functions by logical id."""
    template = load_template()
    defaults = template.get("Globals", {}).get("Function", {})
    found = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        properties = resource["Properties"]
        variables = dict(defaults.get("Environment", {}).get("Variables", {}))
        variables.update(properties.get("Environment", {}).get("Variables", {}))
        batch_sizes = [e["Properties"].get("BatchSize", 10) for e in properties.get("Events", {}).values()
                       if e["Type"] == "SQS"]  # fmt: skip
        found[logical_id] = TemplateFunction(
            logical_id=logical_id,
            handler=properties["Handler"],
            memory_mb=int(properties.get("MemorySize", defaults.get("MemorySize", 128))),
            batch_size=int(batch_sizes[0]) if batch_sizes else 0,
            variables=variables,
        )
    return found


def resolve_variables(variables: Mapping[str, Any], resources: Mapping[str, str]) -> dict[str, str]:
    """Variables with Ref/Sub resolved: parameters to their defaults, resources to `resources`."""
    parameters = {name: str(p.get("Default", "")) for name, p in load_template()["Parameters"].items()}
    names = {**parameters, **resources, "AWS::Region": REGION, "AWS::AccountId": ACCOUNT}

    def resolve(value: Any) -> str:
        if isinstance(value, dict) and "Ref" in value:
            return names[value["Ref"]]
        if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
            return re.sub(r"\$\{([^}]+)\}", lambda m: names[m[1]], value["Fn::Sub"])
        if isinstance(value, dict) and "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            if isinstance(parts, dict) and "Ref" in parts:  # a CommaDelimitedList, joined back
                return str(names[parts["Ref"]])
            return str(separator).join(resolve(part) for part in parts)
        if isinstance(value, dict):
            raise ValueError(f"no benchmark value for {value!r}")
        return str(value)

    return {name: resolve(value) for name, value in variables.items()}


def lambda_environment(
    function: TemplateFunction, resources: Mapping[str, str], endpoint: str, xray_port: int
) -> dict[str, str]:
    """Everything the function's process sees on AWS, pointed at the benchmark's moto and X-Ray."""
    env = {name: os.environ[name] for name in ("PATH", "LANG", "HOME") if name in os.environ}
    env.update(DUMMY_CREDENTIALS)
    env.update(
        {
            # Defined by the Lambda runtime (docs: "Defined runtime environment variables").
            "_HANDLER": function.handler,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{PYTHON_RUNTIME}",
            "AWS_LAMBDA_FUNCTION_NAME": f"feedpub-{function.logical_id}",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/feedpub-{function.logical_id}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]benchmark",
            "LAMBDA_TASK_ROOT": str(FUNCTIONS),
            "LAMBDA_RUNTIME_DIR": str(FUNCTIONS),
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{xray_port}",
            "TZ": ":UTC",
            "PYTHONPATH": str(FUNCTIONS),
            "PYTHONDONTWRITEBYTECODE": "1",
            # The benchmark's moto server instead of AWS.
            "AWS_ENDPOINT_URL": endpoint,
        }
    )
    env.update(resolve_variables(function.variables, resources))
    return env


# -- moto, outside the measured process --------------------------------------------------------------


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class MotoServer:
    """A moto server in this process (its own thread); clients made here talk to it over HTTP."""

    endpoint: str

    def client(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(  # type: ignore[call-overload]
            service,
            region_name=REGION,
            endpoint_url=self.endpoint,
            config=Config(retries={"mode": "standard", "total_max_attempts": 5}),
            **{name.lower(): value for name, value in DUMMY_CREDENTIALS.items()},
        )


@contextmanager
def moto_server() -> Iterator[MotoServer]:
    """moto on 127.0.0.1 for the duration; its state is reset afterwards."""
    import logging

    from moto.moto_api._internal.models import moto_api_backend
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield MotoServer(f"http://127.0.0.1:{port}")
    finally:
        server.stop()
        moto_api_backend.reset()


# -- X-Ray, received ---------------------------------------------------------------------------------


@dataclass
class XRaySink:
    """A UDP socket standing in for the X-Ray daemon: keeps every segment document sent to it."""

    port: int
    documents: list[dict[str, Any]] = field(default_factory=list)

    def by_trace(self, trace_root: str) -> list[dict[str, Any]]:
        """The (sub)segments of one trace."""
        return [d for d in self.documents if d.get("trace_id") == trace_root]


@contextmanager
def xray_sink() -> Iterator[XRaySink]:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(0.2)
    sink = XRaySink(receiver.getsockname()[1])
    stopping = threading.Event()

    def receive() -> None:
        while not stopping.is_set():
            try:
                datagram = receiver.recv(65536)
            except TimeoutError:
                continue
            _, _, body = datagram.decode("utf-8", "replace").partition("\n")
            try:
                sink.documents.append(json.loads(body))
            except ValueError:
                continue

    thread = threading.Thread(target=receive, name="xray-sink", daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        time.sleep(0.3)  # the last datagrams
        stopping.set()
        thread.join()
        receiver.close()


def trace_header() -> tuple[str, str]:
    """(root, _X_AMZN_TRACE_ID value) for one sampled invocation, as Lambda sets it."""
    root = f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"
    return root, f"Root={root};Parent={secrets.token_hex(8)};Sampled=1"


# -- the function's process -------------------------------------------------------------------------

CHILD = r"""
import importlib, json, os, sys, time
started = time.perf_counter()


def peak_rss_kb():
    # VmHWM: the peak resident set of this process since exec. Not ru_maxrss, which Linux carries
    # over from the pre-exec process (a fork of the benchmark, moto's data included).
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmHWM:")).split()[1])


spec = json.loads(sys.argv[1])
result = {}
if spec["handler"] == "floor":
    import boto3
    boto3.client("s3")
    result["init"] = time.perf_counter() - started
else:
    module_name, _, name = spec["handler"].rpartition(".")
    handler = getattr(importlib.import_module(module_name), name)
    result["init"] = time.perf_counter() - started
    result["modules_after_init"] = sorted(sys.modules)

    class Context:
        function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + function_name
        aws_request_id = "benchmark"

        def get_remaining_time_in_millis(self):
            return 60_000

    result["peak_rss_kb_after_init"] = peak_rss_kb()
    result["invocations"], result["responses"] = [], []
    for trace_id, event in zip(spec["trace_ids"], spec["events"]):
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
        begun = time.perf_counter()
        response = handler(event, Context())
        result["invocations"].append(time.perf_counter() - begun)
        result["responses"].append(response)
result["peak_rss_kb"] = peak_rss_kb()
sys.stdout.flush()
print("\n" + MARK + json.dumps(result, default=str), flush=True)
""".replace("MARK", repr(RESULT_MARK))


@dataclass
class ChildResult:
    init: float
    """Seconds from the start of the handler's import to the handler in hand (Lambda's init)."""
    invocations: list[float]
    responses: list[Any]
    peak_rss_kb: int
    """VmHWM at the end: the process's peak resident set size."""
    peak_rss_kb_after_init: int = 0
    modules_after_init: list[str] = field(default_factory=list)
    trace_roots: list[str] = field(default_factory=list)
    stderr: str = ""


def run_child(
    handler: str,
    env: Mapping[str, str],
    events: Sequence[dict[str, Any]] = (),
    timeout: float = 600,
    python_flags: Sequence[str] = (),
) -> ChildResult:
    """Run `handler` ("floor": import boto3 + one client) in a fresh interpreter on `events`."""
    traces = [trace_header() for _ in events]
    spec = {"handler": handler, "events": list(events), "trace_ids": [header for _, header in traces]}
    completed = subprocess.run(
        [sys.executable, *python_flags, "-c", CHILD, json.dumps(spec)],
        env=dict(env),
        cwd=FUNCTIONS,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [line for line in completed.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if completed.returncode != 0 or not lines:
        raise RuntimeError(
            f"{handler} failed (exit {completed.returncode}):\n{completed.stderr[-4000:]}\n"
            f"{completed.stdout[-2000:]}"
        )
    data = json.loads(lines[-1][len(RESULT_MARK) :])
    data["stderr"] = completed.stderr
    return ChildResult(
        init=data["init"],
        invocations=data.get("invocations", []),
        responses=data.get("responses", []),
        peak_rss_kb=data["peak_rss_kb"],
        peak_rss_kb_after_init=data.get("peak_rss_kb_after_init", 0),
        modules_after_init=data.get("modules_after_init", []),
        trace_roots=[root for root, _ in traces],
        stderr=data["stderr"],
    )
