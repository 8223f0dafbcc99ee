"""The locks: uv.lock matches pyproject.toml, functions/requirements.txt is exactly what uv.lock makes
for the Lambda, and tools/<name>.txt pins the version tasks.py names, every package with its hashes.

`python3 tasks.py lock` rewrites all of them; these tests say so when one was edited by hand or left
behind. They need no network: `uv export --frozen` reads only uv.lock.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest
import tasks
from packaging.requirements import Requirement

REFRESH = "run `python3 tasks.py lock` and commit what it changes"


@pytest.fixture(scope="module")
def uv() -> str:
    if not tasks.UV.exists():
        pytest.fail(f"uv is not installed at {tasks.UV}: `python3 tasks.py test` installs it")
    return str(tasks.UV)


def pinned(text: str) -> dict[str, Requirement]:
    """Each requirement of a hashed requirements file, by name; every one pinned with == and hashed."""
    entries = (line.split("#", 1)[0].strip() for line in text.replace("\\\n", " ").splitlines())
    result: dict[str, Requirement] = {}
    for entry in filter(None, entries):
        requirement = Requirement(entry.split(" --hash=", 1)[0])
        assert " --hash=sha256:" in entry, f"{requirement.name} has no hash"
        assert [spec.operator for spec in requirement.specifier] == ["=="], f"{requirement} is not pinned"
        result.setdefault(requirement.name.lower(), requirement)  # a universal lock may list two, by marker
    return result


def test_uv_lock_matches_pyproject(uv: str) -> None:
    check = [uv, "lock", "--check", "--offline", "--python", sys.executable]
    completed = subprocess.run(check, cwd=tasks.ROOT, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, f"{completed.stderr}\n{REFRESH}"


def test_lambda_requirements_are_what_the_lock_makes(uv: str) -> None:
    written = tasks.LAMBDA_REQUIREMENTS.read_text(encoding="utf-8")
    assert written == tasks.lambda_requirements(), f"functions/requirements.txt is not uv.lock's: {REFRESH}"


def test_lambda_requirements_carry_every_runtime_dependency_and_not_boto3() -> None:
    requirements = pinned(tasks.LAMBDA_REQUIREMENTS.read_text(encoding="utf-8"))
    pyproject = tomllib.loads((tasks.ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {Requirement(r).name.lower(): Requirement(r) for r in pyproject["project"]["dependencies"]}
    assert set(declared) <= set(requirements)
    for name, requirement in declared.items():
        (version,) = (spec.version for spec in requirements[name].specifier)
        assert requirement.specifier.contains(version), f"{name}=={version} is outside {requirement}"
    # Powertools' Tracer imports aws-xray-sdk when the handler module loads; the runtime lacks it.
    assert "aws-xray-sdk" in requirements
    assert "boto3" not in requirements  # the python3.13 runtime provides it
    assert "feedpub" not in requirements  # the code itself is CodeUri, not a dependency


@pytest.mark.parametrize("name", sorted(tasks.TOOL_PINS))
def test_tool_lock_pins_the_version_tasks_names(name: str) -> None:
    pin = Requirement(tasks.TOOL_PINS[name])
    requirements = pinned((tasks.TOOL_LOCKS / f"{name}.txt").read_text(encoding="utf-8"))
    assert str(requirements[pin.name].specifier) == str(pin.specifier), f"tools/{name}.txt: {REFRESH}"
