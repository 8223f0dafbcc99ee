#!/usr/bin/env python3
"""Set-up and everyday commands, runnable on a fresh machine that has only Python >= 3.11.

    python3 tasks.py serve  # install, then run the whole stack locally (Ctrl-C stops it)
    python3 tasks.py test   # install, then ruff (lint, format), mypy and the whole suite with coverage
    python3 tasks.py demo   # install, then just build the example feeds into ./public
    python3 tasks.py tools  # aws-sam-cli and checkov into .tools/ (test does this too)
    python3 tasks.py soak   # install, then the burst-and-soak test at full size (minutes)
    python3 tasks.py bench  # install, then every benchmark; writes docs/benchmarks.md
    python3 tasks.py lock   # after changing dependencies: refresh uv.lock and the files made from it

Everything is installed from PyPI at the versions the locks name: uv (pinned here) into .tools/uv
with pip, then with uv the project and its dev tools into .venv exactly as uv.lock has them, and
aws-sam-cli and checkov into .tools/<name> exactly as tools/<name>.txt has them. The first run
installs; later runs install again only when pyproject.toml or a lock changed. `lock --upgrade`
moves every lock to the newest releases the version ranges allow.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SCRIPTS = "Scripts" if os.name == "nt" else "bin"
VENV = ROOT / ".venv"
BIN = VENV / SCRIPTS
STAMP = VENV / ".feedpub-installed"
LOCK = ROOT / "uv.lock"
LAMBDA_REQUIREMENTS = ROOT / "functions" / "requirements.txt"
TOOLS = ROOT / ".tools"  # one venv per tool, never committed
TOOL_LOCKS = ROOT / "tools"  # tools/<name>.txt, committed
UV_VERSION = "0.13.9"
UV = TOOLS / "uv" / SCRIPTS / "uv"
# Exact versions, so that a new release of a linter cannot turn CI red without a change here.
TOOL_PINS = {"sam": "aws-sam-cli==1.170.0", "checkov": "checkov==3.3.30"}
# The line coverage of feedpub, handlers and feedpub_cli (branches included) that `test` requires of
# the whole suite: the level measured when the gate was set, rounded down. Raise it when coverage rises.
COVERAGE_FLOOR = 95


def run(*args: str | Path) -> None:
    """Run a command from the repository root; stop with its exit code when it fails.

    Ctrl-C is the command's to handle: the terminal sends it to the command too, so tasks.py only
    waits for it to finish (a traceback of its own, or killing the command before it has cleaned
    up, would help nobody). A SIGTERM sent to tasks.py alone is passed on.
    """
    print("+", " ".join(str(a) for a in args), flush=True)
    command = subprocess.Popen([str(a) for a in args], cwd=ROOT)  # noqa: S603
    handlers = {
        signal.SIGINT: signal.signal(signal.SIGINT, lambda *_: None),
        signal.SIGTERM: signal.signal(signal.SIGTERM, lambda signum, _: command.send_signal(signum)),
    }
    try:
        returncode = command.wait()
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    if returncode:
        sys.exit(returncode)


def ensure_uv() -> None:
    """uv at UV_VERSION in .tools/uv, installed with pip from PyPI: the one thing installed without
    a lock, at the version pinned here."""
    if UV.exists():
        version = subprocess.run([str(UV), "--version"], capture_output=True, text=True, check=False)  # noqa: S603
        if version.stdout.split()[1:2] == [UV_VERSION]:
            return
    uv_venv = TOOLS / "uv"
    venv.create(uv_venv, with_pip=True, clear=True)
    print(f"+ installing uv=={UV_VERSION} into .tools/uv", flush=True)
    pip = [str(uv_venv / SCRIPTS / "python"), "-m", "pip", "install", "--quiet", f"uv=={UV_VERSION}"]
    if subprocess.run(pip, cwd=ROOT, check=False).returncode:  # noqa: S603
        sys.exit(f"! uv=={UV_VERSION} could not be installed from PyPI into .tools/uv (see above)")


def ensure_venv() -> None:
    """.venv holding the project and `.[dev]` exactly as uv.lock has them, unless it already does."""
    if sys.version_info < (3, 11):  # noqa: UP036 - tasks.py may be run by an older python3
        sys.exit(f"feedpub needs Python >= 3.11; this is {sys.version.split()[0]}")
    digest = hashlib.sha256()
    for part in (
        UV_VERSION.encode(),
        sys.executable.encode(),
        (ROOT / "pyproject.toml").read_bytes(),
        LOCK.read_bytes(),
    ):
        digest.update(hashlib.sha256(part).digest())
    if STAMP.is_file() and STAMP.read_text() == digest.hexdigest():
        return
    ensure_uv()
    check = [str(UV), "lock", "--check", "--python", sys.executable]
    checked = subprocess.run(check, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    if checked.returncode:
        sys.exit(
            f"{checked.stderr.rstrip()}\n! uv.lock does not match pyproject.toml: run `python3 tasks.py lock`"
            " and commit uv.lock and functions/requirements.txt with the change"
        )
    run(UV, "sync", "--quiet", "--frozen", "--extra", "dev", "--python", sys.executable)
    STAMP.write_text(digest.hexdigest())


def ensure_tool(name: str) -> None:
    """A tool in its own venv (.tools/<name>) exactly as tools/<name>.txt has it: aws-sam-cli and
    checkov pin old boto3, click and cfn-lint, so they never go into .venv. If it cannot be
    installed, stop and say so: the tests that need it must not silently skip."""
    lock_file, pin = TOOL_LOCKS / f"{name}.txt", TOOL_PINS[name]
    tool_venv = TOOLS / name
    stamp = tool_venv / ".feedpub-installed"
    digest = hashlib.sha256(lock_file.read_bytes() + f"{pin} {sys.executable}".encode()).hexdigest()
    if stamp.is_file() and stamp.read_text() == digest:
        return
    if f"\n{pin} " not in lock_file.read_text(encoding="utf-8"):
        sys.exit(f"! {lock_file.relative_to(ROOT)} does not pin {pin}: run `python3 tasks.py lock`")
    print(f"+ installing {pin} into .tools/{name} from {lock_file.relative_to(ROOT)}", flush=True)
    ensure_uv()
    python = tool_venv / SCRIPTS / "python"
    steps = [
        [str(UV), "venv", "--quiet", "--clear", "--python", sys.executable, str(tool_venv)],
        [str(UV), "pip", "sync", "--quiet", "--require-hashes", "--python", str(python), str(lock_file)],
        [str(tool_venv / SCRIPTS / name), "--version"],
    ]
    version = pin.split("==")[1]
    for step in steps:
        completed = subprocess.run(step, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
        if completed.returncode or (step[-1] == "--version" and version not in completed.stdout):
            sys.exit(
                f"{completed.stdout}{completed.stderr}! {pin} could not be installed into "
                f".tools/{name} (`{' '.join(step)}` failed, above); the tests that need it cannot run"
            )
    stamp.write_text(digest)


def tools() -> None:
    """aws-sam-cli and checkov, each in its own venv under .tools/, at their pinned versions."""
    for name in TOOL_PINS:
        ensure_tool(name)


def lambda_requirements() -> str:
    """functions/requirements.txt as uv.lock makes it: the [project] dependencies and everything they
    need, each pinned with the hashes of all its files. Offline: it reads only uv.lock."""
    export = [str(UV), "export", "--frozen", "--offline", "--no-header", "--no-dev", "--no-emit-project"]
    export += ["--prune", "boto3"]
    completed = subprocess.run(export, cwd=ROOT, capture_output=True, text=True, check=True)  # noqa: S603
    return LAMBDA_REQUIREMENTS_HEADER + completed.stdout


LAMBDA_REQUIREMENTS_HEADER = """\
# The Lambda's dependencies, installed by `sam build` next to the code in functions/: the versions
# in uv.lock, each with the hashes of all its files (pip checks them). Generated from uv.lock by
# `python3 tasks.py lock`; do not edit (a test compares this file with what the lock makes).
# boto3 comes with the python3.13 Lambda runtime and is not listed. botocore is, because
# aws-lambda-powertools[tracer]'s aws-xray-sdk requires it and pip's hash-checking mode refuses a
# requirement that is not pinned and hashed.
"""


def lock() -> None:
    """uv.lock from pyproject.toml, then functions/requirements.txt from it, and tools/<name>.txt for
    each pinned tool. Keeps every version the ranges still allow; `lock --upgrade` takes the newest."""
    ensure_uv()
    upgrade = [arg for arg in sys.argv[2:] if arg in ("--upgrade", "-U")]
    run(UV, "lock", "--python", sys.executable, *sys.argv[2:])
    print(f"+ writing {LAMBDA_REQUIREMENTS.relative_to(ROOT)} from uv.lock", flush=True)
    LAMBDA_REQUIREMENTS.write_text(lambda_requirements(), encoding="utf-8")
    TOOL_LOCKS.mkdir(exist_ok=True)
    for name, pin in TOOL_PINS.items():
        lock_file = TOOL_LOCKS / f"{name}.txt"
        compile_ = [str(UV), "pip", "compile", "-", "--quiet", "--universal", "--python-version", "3.11"]
        compile_ += ["--generate-hashes", "--custom-compile-command", "python3 tasks.py lock", *upgrade]
        compile_ += ["--output-file", str(lock_file)]
        print(f"+ {pin} | {' '.join(compile_)}", flush=True)
        if subprocess.run(compile_, cwd=ROOT, input=pin + "\n", text=True, check=False).returncode:  # noqa: S603
            sys.exit(f"! {pin} could not be locked (see above)")


def serve() -> None:
    """The whole stack on this machine: moto, the template's resources, the functions, the site."""
    run(BIN / "feedpub", "serve", *sys.argv[2:])


def demo() -> None:
    """Build the example articles' feeds into ./public."""
    run(BIN / "feedpub", "build", "examples", "--out", "public")


def test() -> None:
    """Lint, check the formatting, type-check, then the test suite on both cores with coverage; the
    whole suite (no pytest arguments) must reach COVERAGE_FLOOR."""
    tools()
    sources = ("functions", "cli", "tests", "benchmarks", "tasks.py")
    run(BIN / "ruff", "check", *sources)
    run(BIN / "ruff", "format", "--check", *sources)
    run(BIN / "mypy")
    coverage = ["--cov=feedpub", "--cov=handlers", "--cov=feedpub_cli", "--cov-branch"]
    coverage.append("--cov-report=term:skip-covered")
    if not sys.argv[2:]:
        coverage.append(f"--cov-fail-under={COVERAGE_FLOOR}")
    run(BIN / "python", "-m", "pytest", "-n", "auto", "-q", *coverage, *sys.argv[2:])


def soak() -> None:
    """The burst-and-soak test at full size: 600 uploads, and deletes, from 8 editors at once
    while 4 function instances ingest; prints what it did (CI runs a small one)."""
    os.environ.setdefault("SOAK_UPLOADS", "600")
    test_file = "tests/aws/test_soak.py"
    run(BIN / "python", "-m", "pytest", "-n", "0", "-q", "-s", "-m", "soak", test_file, *sys.argv[2:])


def bench() -> None:
    """Every benchmark at full size, writing docs/benchmarks.md and .png (`--smoke`: tiny sizes)."""
    run(BIN / "python", "-m", "benchmarks.run", *sys.argv[2:])


COMMANDS = {
    "serve": serve, "demo": demo, "test": test, "soak": soak, "tools": tools, "bench": bench, "lock": lock,
}  # fmt: skip

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: python3 tasks.py {{{'|'.join(COMMANDS)}}} [pytest args]")
    os.environ["UV_PYTHON_DOWNLOADS"] = "never"  # uv uses the python3 running this, never a download
    if sys.argv[1] != "lock":
        ensure_venv()
    COMMANDS[sys.argv[1]]()
