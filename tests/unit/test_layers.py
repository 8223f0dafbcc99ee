"""What the Lambda artifact may import: functions/ (template.yaml's CodeUri) is deployed whole, so
every module in it must run on what the artifact carries, functions/requirements.txt, and what the
python3.13 runtime provides (boto3 and botocore). The command line and the local stack
(cli/feedpub_cli) are never deployed, so nothing in functions/ may import them, and the pure core
keeps the AWS SDK behind its adapters (feedpub/aws/)."""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from tests.support.paths import ROOT

FUNCTIONS = ROOT / "functions"
CLI = ROOT / "cli"
LAMBDA_REQUIREMENTS = FUNCTIONS / "requirements.txt"
OWN = {"feedpub", "handlers"}
"""The artifact's own top-level modules."""
SDK = {"boto3", "botocore", "mypy_boto3_s3", "mypy_boto3_sqs", "mypy_boto3_dynamodb", "s3transfer"}
SDK_ALLOWED = ("feedpub/aws/",)
"""The only folder whose modules import the AWS SDK (the handlers reach it through feedpub.runtime)."""


def imports(path: Path) -> Iterator[tuple[str, int]]:
    """(top-level module, line) of every absolute import in a file, under TYPE_CHECKING too."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.lineno


def lambda_modules() -> list[Path]:
    return sorted(FUNCTIONS.rglob("*.py"))


@cache
def requirement_names() -> frozenset[str]:
    """The distributions functions/requirements.txt pins (normalised names)."""
    pinned = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", LAMBDA_REQUIREMENTS.read_text(), re.MULTILINE)
    return frozenset(normalise(name) for name in pinned)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_walk_sees_the_lambda_code() -> None:
    relative = {path.relative_to(FUNCTIONS).as_posix() for path in lambda_modules()}
    assert {"feedpub/ingest.py", "feedpub/aws/clients.py", "handlers/ingest.py"} <= relative
    assert not (FUNCTIONS / "feedpub" / "cli.py").exists()
    assert not (FUNCTIONS / "feedpub" / "local").exists()
    assert not (FUNCTIONS / "feedpub" / "examples").exists()


@pytest.mark.parametrize("path", lambda_modules(), ids=lambda p: p.relative_to(FUNCTIONS).as_posix())
def test_the_lambda_code_imports_only_what_the_artifact_carries(path: Path) -> None:
    relative = path.relative_to(FUNCTIONS).as_posix()
    provided = packages_distributions()
    for module, line in imports(path):
        where = f"{relative}:{line} imports {module}"
        assert module != "feedpub_cli", f"{where}: the CLI and the local stack are not deployed"
        if module in sys.stdlib_module_names or module in OWN:
            continue
        if module in SDK:
            assert relative.startswith(SDK_ALLOWED), f"{where}: only the adapters in feedpub/aws/ use the SDK"
            continue
        distributions = {normalise(name) for name in provided.get(module, [])}
        assert distributions & requirement_names(), (
            f"{where}, which no distribution in functions/requirements.txt provides "
            f"({sorted(distributions) or 'not installed'}): the Lambda would fail to import it"
        )


def test_the_cli_package_is_outside_the_artifact() -> None:
    import feedpub
    import feedpub_cli

    assert Path(feedpub_cli.__file__).resolve().is_relative_to(CLI)
    assert Path(feedpub.__file__).resolve().is_relative_to(FUNCTIONS)
    assert not any(CLI.rglob("requirements.txt"))


def test_the_cli_imports_the_core_and_not_the_handlers_package_it_runs_by_name() -> None:
    # feedpub serve runs the handlers by their template names (importlib), from functions/ as
    # Lambda does, so a handler module is never imported twice under two names.
    for path in sorted(CLI.rglob("*.py")):
        for module, line in imports(path):
            assert module != "handlers", f"{path.relative_to(ROOT)}:{line} imports handlers"


def test_the_artifact_takes_boto3_from_the_runtime_and_pins_botocore() -> None:
    # botocore is aws-xray-sdk's dependency: pip's hash-checking mode (sam build) needs it pinned
    # and hashed, so it is bundled; boto3 comes with the python3.13 runtime (README's dependencies).
    assert {"boto3", "s3transfer"}.isdisjoint(requirement_names())
    assert "botocore" in requirement_names()
