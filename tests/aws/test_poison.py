"""A record that keeps failing reaches the dead-letter queue after the receives the template allows
(the IngestQueue's maxReceiveCount), the rest of its batch is published, and a redrive once the
cause is fixed converges."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from click.testing import CliRunner

from feedpub.aws import clients
from feedpub_cli.local.runner import sqs_event
from feedpub_cli.main import main
from tests.support.convergence import assert_converged
from tests.support.events import article
from tests.support.pipeline import EditedPipeline, Pipeline


def test_poison_record_is_dead_lettered_then_redriven(pipeline: Pipeline) -> None:
    assert pipeline.max_receive_count == 5  # as the template has it
    assert dead_letter_then_redrive(pipeline) == 5


def test_a_template_with_a_lower_max_receive_count_dead_letters_sooner(
    edited_pipeline: EditedPipeline,
) -> None:
    """The same, on a copy of template.yaml whose IngestQueue moves a message after 2 receives."""
    redrive = ("Resources", "IngestQueue", "Properties", "RedrivePolicy", "maxReceiveCount")
    pipeline = edited_pipeline({redrive: 2})
    assert pipeline.max_receive_count == 2
    assert dead_letter_then_redrive(pipeline) == 2


def dead_letter_then_redrive(pipeline: Pipeline) -> int:
    """Poll the ingest queue as Lambda does until an article that can never be read is dead-lettered
    (the rest of its batch published), then fix the cause, redrive and converge; returns how many
    times the poisoned record was received."""
    sqs = pipeline.sqs
    queue = pipeline.queue_url
    dlq = pipeline.dlq_url
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"VisibilityTimeout": "0"})  # retry at once
    poisoned = "articles/world/poisoned.md"

    def persistent_fault(params: dict[str, Any], **_: Any) -> None:
        if params.get("Key") == poisoned:  # e.g. a KMS key or permission the function cannot use
            raise RuntimeError("AccessDenied on this object, every time")

    function_s3 = clients.client("s3")
    function_s3.meta.events.register("before-parameter-build.s3.GetObject", persistent_fault)
    pipeline.upload(poisoned, article("Poisoned"))
    pipeline.upload("articles/world/fine.md", article("Fine", published="2026-11-19T08:00:00+07:00"))

    receives = 0
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    # One poll per round, as Lambda's poller does; a failed message is back after the visibility
    # timeout (0 here) and moves to the dead-letter queue on the receive after the last allowed.
    while messages := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=pipeline.batch_size).get(
        "Messages", []
    ):
        records = sqs_event(messages, arn, "us-east-1")["Records"]
        try:
            failed = {f["itemIdentifier"] for f in pipeline.invoke(records)["batchItemFailures"]}
        except BatchProcessingError:  # every record of the batch failed: the invocation fails
            failed = {m["MessageId"] for m in messages}
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        receives += any("poisoned.md" in m["Body"] for m in messages)
        assert len(failed) <= 1 and receives < 10, "only the poisoned record fails, and not forever"
    assert receives == pipeline.max_receive_count  # then SQS moved it
    assert pipeline.feed_ids() == ["fine"]  # the rest of its batch was published
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
    assert len(dead) == 1 and "poisoned.md" in dead[0]["Body"]

    function_s3.meta.events.unregister("before-parameter-build.s3.GetObject", persistent_fault)  # fixed
    result = CliRunner().invoke(main, ["redrive", "--from", dlq, "--to", queue], env=dict(os.environ))
    assert result.exit_code == 0 and "1 messages moved back" in result.output
    assert pipeline.deliver() == {"batchItemFailures": []}
    assert sorted(pipeline.feed_ids()) == ["fine", "poisoned"]
    assert_converged(pipeline)
    return receives
