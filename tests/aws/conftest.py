"""Fixtures of the AWS tests: the template's stack in in-process moto (`pipeline`, `views_pipeline`,
and `edited_pipeline` for a changed copy of the template) or on a moto server behind a slow
network (`moto_server`). The stack, the drivers and the checks are in tests/support/ (stack.py,
pipeline.py, convergence.py, server.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.support.pipeline import (
    EditedPipeline,
    Pipeline,
    ViewsPipeline,
    moto_pipeline,
    snapshot_tables_once_per_transaction,
)
from tests.support.server import Server, running_moto_server
from tests.support.stack import edited_template


@pytest.fixture
def pipeline(monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    """A fresh in-process moto account holding the template's stack, the functions' environment."""
    with moto_pipeline(monkeypatch) as created:
        yield created


@pytest.fixture
def edited_pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EditedPipeline]:
    """`pipeline`, on the stack of a copy of template.yaml with values changed: call it once with
    {path into the template: new value} (see tests.support.stack.edited_template)."""
    with ExitStack() as stacks:

        def deploy(changes: Mapping[tuple[str, ...], Any]) -> Pipeline:
            template = edited_template(tmp_path, changes)
            return stacks.enter_context(moto_pipeline(monkeypatch, template_path=template))

        yield deploy


@pytest.fixture
def views_pipeline(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> ViewsPipeline:
    """`pipeline` with drivers for the views and most-viewed functions."""
    snapshot_tables_once_per_transaction(monkeypatch)
    return ViewsPipeline(pipeline)


@pytest.fixture(scope="class")
def class_views_pipeline() -> Iterator[ViewsPipeline]:
    """`views_pipeline` shared by the tests of one class, for a world that is costly to build; set up
    exactly as the `pipeline` fixture does (class scope: torn down before any other test runs)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        snapshot_tables_once_per_transaction(monkeypatch)
        with moto_pipeline(monkeypatch) as pipeline:
            yield ViewsPipeline(pipeline)


@pytest.fixture
def moto_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """A moto server on 127.0.0.1 behind a slow network, holding the template's stack."""
    with running_moto_server(monkeypatch) as server:
        yield server
