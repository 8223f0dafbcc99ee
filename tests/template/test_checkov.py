"""checkov on template.yaml: no failed check, and every suppression carries its reason.

checkov lives in its own virtualenv (.tools/checkov, installed by `python3 tasks.py tools`): it pins
packages that conflict with .venv. Suppressions are `# checkov:skip=CKV_AWS_XX:reason` comments
inside the resource's block in template.yaml; SAM templates are scanned by the cloudformation
framework (AWS::Serverless::Function is understood there).
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest

from tests.support.paths import ROOT

TEMPLATE = ROOT / "template.yaml"
CHECKOV = ROOT / ".tools" / "checkov" / "bin" / "checkov"

# What checkov reports for a skip comment with no reason after the check id.
NO_REASON = {"", "no comment provided"}

pytestmark = pytest.mark.skipif(
    not (CHECKOV.is_file() and os.access(CHECKOV, os.X_OK)),
    reason="checkov is not installed at .tools/checkov (run `python3 tasks.py tools`; "
    "it must not go into .venv, whose pinned packages it would conflict with)",
)


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    # Not --quiet: it drops passed and skipped checks from the JSON. --skip-download: no call to
    # the Prisma Cloud API for guidelines (offline-safe; only BC_* skip ids would need it).
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("BC_", "PRISMA_"))}
    command = [str(CHECKOV), "--file", str(TEMPLATE), "--framework", "cloudformation"]
    command += ["--output", "json", "--skip-download"]
    completed = subprocess.run(
        command,
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode in (0, 1), completed.stdout + completed.stderr
    output = json.loads(completed.stdout)
    # One framework gives one report object; several give a list of them.
    reports = output if isinstance(output, list) else [output]
    cloudformation = [r for r in reports if r.get("check_type") == "cloudformation"]
    assert len(cloudformation) == 1, completed.stdout
    result: dict[str, Any] = cloudformation[0]
    return result


def test_template_was_scanned(report: dict[str, Any]) -> None:
    summary = report["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] > 0
    assert summary["passed"] > 0


def test_no_failed_checks(report: dict[str, Any]) -> None:
    failed = [
        f"{c['check_id']} {c['resource']} (lines {c['file_line_range']}): {c['check_name']}"
        for c in report["results"].get("failed_checks", [])
    ]
    assert failed == [], "checkov failed checks:\n" + "\n".join(failed)
    assert report["summary"]["failed"] == 0


def test_every_skip_has_a_reason(report: dict[str, Any]) -> None:
    skipped = report["results"].get("skipped_checks", [])
    assert len(skipped) == report["summary"]["skipped"]
    unexplained = [
        f"{c['check_id']} {c['resource']}"
        for c in skipped
        if (c["check_result"].get("suppress_comment") or "").strip().lower() in NO_REASON
    ]
    assert unexplained == [], "skips without a reason:\n" + "\n".join(unexplained)
