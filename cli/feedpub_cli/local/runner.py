"""Runs the template's functions the way Lambda would: queue pollers and schedules, in-process.

Everything comes from the translated template: which handler a function runs, which queue feeds
it and in what batch size, and on which schedule it fires. Each function runs one invocation at a
time (one warm Lambda instance), so module-level handler state behaves as it does on AWS.
"""

from __future__ import annotations

import importlib
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from feedpub_cli.local.stack import FUNCTIONS_DIR, Stack

log = logging.getLogger("feedpub.serve")


def with_lambda_code_on_path() -> None:
    """Put the checkout's functions/ (the Lambda artifact's code) on sys.path, as the runtime puts
    /var/task: `handlers` is deployed, not installed with the distribution."""
    if str(FUNCTIONS_DIR) not in sys.path:
        sys.path.append(str(FUNCTIONS_DIR))


@dataclass
class FunctionContext:
    """The Lambda context attributes Powertools reads."""

    function_name: str
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = ""
    aws_request_id: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@dataclass
class LocalFunction:
    """One function of the template, with its triggers."""

    logical_id: str
    handler_path: str
    queue_url: str = ""
    batch_size: int = 10
    schedule_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    invocations: int = 0

    def handler(self) -> Callable[[dict[str, Any], Any], Any]:
        module, _, name = self.handler_path.rpartition(".")
        with_lambda_code_on_path()
        function: Callable[[dict[str, Any], Any], Any] = getattr(importlib.import_module(module), name)
        return function

    def invoke(self, event: dict[str, Any]) -> Any:
        """One invocation, never two at once for the same function."""
        with self.lock:
            self.invocations += 1
            return self.handler()(event, FunctionContext(self.logical_id))


def schedule_seconds(expression: str) -> float:
    """Seconds between runs of an EventBridge `rate(...)`; cron schedules run every minute here."""
    match = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", expression.strip())
    if not match:
        return 60.0
    unit = {"minute": 60, "hour": 3600, "day": 86400}[match[2].rstrip("s")]
    return int(match[1]) * unit


def functions_of(stack: Stack) -> dict[str, LocalFunction]:
    """The template's functions with their SQS and schedule triggers."""
    resources = stack.template["Resources"]
    found = {
        logical: LocalFunction(logical, resource["Properties"]["Handler"])
        for logical, resource in resources.items()
        if resource["Type"] == "AWS::Lambda::Function"
    }
    queue_urls = {stack.resolve({"Fn::GetAtt": [q, "Arn"]}): stack.physical_ids[q]
                  for q, r in resources.items() if r["Type"] == "AWS::SQS::Queue"}  # fmt: skip
    for resource in resources.values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Lambda::EventSourceMapping":
            function = found[properties["FunctionName"]["Ref"]]
            function.queue_url = queue_urls[stack.resolve(properties["EventSourceArn"])]
            function.batch_size = int(properties.get("BatchSize", 10))
        elif resource["Type"] == "AWS::Events::Rule" and "ScheduleExpression" in properties:
            for target in properties.get("Targets", []):
                function = found[target["Arn"]["Fn::GetAtt"][0]]
                function.schedule_seconds = schedule_seconds(stack.resolve(properties["ScheduleExpression"]))
    return found


def sqs_event(messages: Sequence[Mapping[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS poller builds from received messages."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


def scheduled_event(region: str, account: str) -> dict[str, Any]:
    """An EventBridge Scheduled Event."""
    return {
        "version": "0", "id": "local", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": account, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "region": region,
        "resources": [], "detail": {},
    }  # fmt: skip


class Runner:
    """Pollers and schedules for every function, on daemon threads, until `stop()`."""

    def __init__(self, stack: Stack, sqs: Any) -> None:
        self.stack = stack
        self.sqs = sqs
        self.functions = functions_of(stack)
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start a poller per queue-triggered function and a timer per scheduled one."""
        for function in self.functions.values():
            if function.queue_url:
                self._spawn(self._poll, function)
            if function.schedule_seconds:
                self._spawn(self._schedule, function)

    def _spawn(self, target: Callable[[LocalFunction], None], function: LocalFunction) -> None:
        thread = threading.Thread(target=target, args=(function,), name=function.logical_id, daemon=True)
        thread.start()
        self.threads.append(thread)

    def run_scheduled(self, logical_id: str) -> Any:
        """Fire a scheduled function now (the demo's "run it now")."""
        return self.functions[logical_id].invoke(scheduled_event(self.stack.region, self.stack.account_id))

    def _poll(self, function: LocalFunction) -> None:
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=function.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        while not self.stopping.is_set():
            try:
                messages = self.sqs.receive_message(
                    QueueUrl=function.queue_url,
                    MaxNumberOfMessages=min(function.batch_size, 10),
                    WaitTimeSeconds=1,
                    AttributeNames=["All"],
                ).get("Messages", [])
                if not messages:
                    continue
                response = function.invoke(sqs_event(messages, queue_arn, self.stack.region))
                failed = {f["itemIdentifier"] for f in (response or {}).get("batchItemFailures", [])}
                done = [m for m in messages if m["MessageId"] not in failed]
                if done:
                    self.sqs.delete_message_batch(
                        QueueUrl=function.queue_url,
                        Entries=[
                            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                        ],
                    )
            except Exception:  # a failed invocation: the messages come back after the visibility timeout
                if not self.stopping.is_set():
                    log.exception("%s failed", function.logical_id)
                    time.sleep(1)

    def _schedule(self, function: LocalFunction) -> None:
        while not self.stopping.wait(function.schedule_seconds):
            try:
                function.invoke(scheduled_event(self.stack.region, self.stack.account_id))
            except Exception:
                log.exception("%s failed", function.logical_id)

    def stop(self) -> None:
        """Stop polling and wait for running invocations to finish."""
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=5)
