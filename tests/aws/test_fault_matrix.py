"""The fault matrix: every AWS call the functions make, answered with every fault AWS can send it.

The calls are not listed here. `recorded_calls` runs the workload below on a clean moto account
and notes every (service, operation) the functions' own clients sent, in which phase, and whether
any of its requests carried a condition. So when ingest or publish changes the calls it makes,
the matrix follows without an edit here. The workload, from a baseline of two published articles
and a rejected one: one ingest batch with a new article, a replacement, a rejected article, the
fix of the rejected one (its report removed, a new section's first article) and a delete; the
scheduled publish; a CloudFront log counted by the views function; the most-viewed function.

Each case runs the phases of the workload that make its call with one fault on that call,
injected as `test_faults` does (a `before-send` hook answering in moto's place, so botocore's
standard retry mode sees what it would see from AWS):

- throttle: S3 `SlowDown` (503); DynamoDB `ProvisionedThroughputExceededException` and
  `ThrottlingException`, taking turns from one attempt to the next.
- internal: a 500 (`InternalError` / `InternalServerError`).
- timeout: the request reaches moto and is applied, then the answer is lost (a read timeout, which
  botocore retries), so a write's retry meets its own first attempt.
- conflict: `PreconditionFailed` (412) from S3, `ConditionalCheckFailedException` or
  `TransactionCanceledException` (`ConditionalCheckFailed`) from DynamoDB, only on requests that
  carry a condition. A write never sent with one is listed as skipped (AWS cannot answer it so);
  reads are left out (a conflict answers a conditional write, never a read).
- crash: the Lambda container dies right after the call returns (it is the crash between the
  index and the feeds of `test_faults`, after every call).

`first`: the first attempt of every such call fails (a conflict or a crash, which botocore does
not retry: the first such call only). `every`: every attempt fails for as long as the workload
runs, so a record that needs the call is received 5 times and moves to its dead-letter queue,
where a log line must say why. Then the fault ends, the dead letters are redriven as `feedpub
redrive` does and the scheduled functions run. Every case must end converged: `assert_converged`
(with the audit), the status tags, the views counted once and the most-viewed feeds.

The outcomes (absorbed by the retries, converged at a redelivery, at the scheduled publish, or
dead-lettered) are printed in a table after the module's run. For speed, the clients are built
once per module, each case starts from a pickled baseline, and botocore does not sleep.

The harness (injector, workload, account, clock) is tests/support/fault_harness.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from tests.support.convergence import assert_converged
from tests.support.fault_harness import (
    VIEWS,
    Account,
    Case,
    Lines,
    Workload,
    assert_most_viewed,
    assert_reason_logged,
    assert_tags,
    cases,
    classify,
    moto_account,
    recorded_calls,
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" in metafunc.fixturenames:
        metafunc.parametrize("case", cases(recorded_calls()))


# -- The matrix ---------------------------------------------------------------------------------

OUTCOMES: dict[str, tuple[str, str]] = {}
"""Each case's outcome and its detail, for the table printed after the module's run."""


@pytest.fixture(scope="module")
def account(request: pytest.FixtureRequest) -> Iterator[Account]:
    with moto_account() as made:
        yield made
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if not OUTCOMES or reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        counts = Counter(outcome for outcome, _ in OUTCOMES.values())
        reporter.write_line("")
        reporter.write_line(
            f"fault matrix: {len(OUTCOMES)} cases: "
            + ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))
        )
        for case_id, (outcome, detail) in sorted(OUTCOMES.items()):
            if outcome != "absorbed":
                reporter.write_line(f"  {case_id}: {outcome}: {detail}")


def test_recorded_calls_cover_the_pipeline() -> None:
    names = {call.name for call in recorded_calls()}
    assert {"s3.GetObject", "s3.PutObject", "dynamodb.TransactWriteItems", "dynamodb.Query"} <= names, names
    assert len(names) >= 6, names
    assert any(call.conditional for call in recorded_calls()), "no conditional write recorded"


def test_fault(case: Case, account: Account) -> None:
    with Lines().capturing() as lines:
        workload = Workload(account)
        injector = account.injector
        injector.case = case
        converged_early = workload.workload(case.phases)
        injector.case = None
        injector.dead = False
        dead = workload.dead_letters()
        views: int | None = None
        if {"views", "most-viewed"} & set(case.phases):
            # A conflict on the views function's marker says an earlier delivery counted the log.
            views = 0 if case.kind == "conflict" and injector.injected["views"] else VIEWS
        workload.recover(dead, views)
    outcome, detail = classify(converged_early, dead, workload.run)
    OUTCOMES[case.id] = (outcome, detail)

    assert sum(injector.injected.values()) > 0, "the fault was never injected"
    for queue, bodies in dead.items():
        for body in bodies:
            assert_reason_logged(lines.lines, account.queues[queue], body)
    if case.when == "first":
        assert not dead, "a one-off fault must not dead-letter a record"
        if case.kind in ("throttle", "internal"):
            assert outcome == "absorbed", "botocore's retries should absorb a first-try fault"
    pipeline = workload.pipeline
    assert workload.dead_letters() == {}, "redriven messages dead-lettered again"
    assert_converged(pipeline)
    if views is not None:
        assert_most_viewed(pipeline, views)
    assert_tags(pipeline, "ingest" in case.phases)
