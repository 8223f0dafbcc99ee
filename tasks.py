#!/usr/bin/env python3
"""Set-up and everyday commands, runnable on a fresh machine that has only Python >= 3.11.

    python3 tasks.py serve  # install, then run the whole stack locally (Ctrl-C stops it)
    python3 tasks.py test   # install, then ruff, mypy and the whole test suite
    python3 tasks.py demo   # install, then just build the example feeds into ./public
    python3 tasks.py tools  # aws-sam-cli and checkov into .tools/ (test does this too)
    python3 tasks.py soak   # install, then the burst-and-soak test at full size (minutes)
    python3 tasks.py bench  # install, then every benchmark; writes docs/benchmarks.md

The first run creates .venv and installs the project with its dev tools; later runs reinstall only
when pyproject.toml changed.
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
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".feedpub-installed"


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


def ensure_venv() -> None:
    """Create .venv and install `.[dev]` unless it is already installed for this pyproject.toml."""
    if sys.version_info < (3, 11):  # noqa: UP036 - tasks.py may be run by an older python3
        sys.exit(f"feedpub needs Python >= 3.11; this is {sys.version.split()[0]}")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.is_file() and STAMP.read_text() == digest:
        return
    if not (BIN / "python").exists():
        venv.create(VENV, with_pip=True)
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    STAMP.write_text(digest)


def ensure_tool(name: str, package: str) -> None:
    """A tool in its own venv (.tools/<name>): aws-sam-cli and checkov pin old boto3, click and
    cfn-lint, so they never go into .venv. Without network the tests that use them skip and say why.
    """
    tool_venv = ROOT / ".tools" / name
    tool_bin = tool_venv / ("Scripts" if os.name == "nt" else "bin")
    if (tool_bin / name).exists():
        return
    venv.create(tool_venv, with_pip=True)
    print(f"+ installing {package} into .tools/{name}", flush=True)
    completed = subprocess.run(  # noqa: S603
        [str(tool_bin / "python"), "-m", "pip", "install", "--quiet", package], cwd=ROOT, check=False
    )
    if completed.returncode:
        print(f"! {package} could not be installed; the tests that need it will be skipped", flush=True)


def tools() -> None:
    """aws-sam-cli and checkov, each in its own venv under .tools/."""
    ensure_tool("sam", "aws-sam-cli")
    ensure_tool("checkov", "checkov")


def serve() -> None:
    """The whole stack on this machine: moto, the template's resources, the functions, the site."""
    run(BIN / "feedpub", "serve", *sys.argv[2:])


def demo() -> None:
    """Build the example articles' feeds into ./public."""
    run(BIN / "feedpub", "build", "examples", "--out", "public")


def test() -> None:
    """Lint, type-check, then the whole test suite on both cores."""
    tools()
    run(BIN / "ruff", "check", "functions", "tests", "benchmarks", "tasks.py")
    run(BIN / "mypy")
    run(BIN / "python", "-m", "pytest", "-n", "auto", "-q", *sys.argv[2:])


def soak() -> None:
    """The burst-and-soak test at full size: 600 uploads, and deletes, from 8 editors at once
    while 4 function instances ingest; prints what it did (CI runs a small one)."""
    os.environ.setdefault("SOAK_UPLOADS", "600")
    test_file = "tests/aws/test_soak.py"
    run(BIN / "python", "-m", "pytest", "-n", "0", "-q", "-s", "-m", "soak", test_file, *sys.argv[2:])


def bench() -> None:
    """Every benchmark at full size, writing docs/benchmarks.md and .png (`--smoke`: tiny sizes)."""
    run(BIN / "python", "-m", "benchmarks.run", *sys.argv[2:])


COMMANDS = {"serve": serve, "demo": demo, "test": test, "soak": soak, "tools": tools, "bench": bench}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: python3 tasks.py {{{'|'.join(COMMANDS)}}} [pytest args]")
    ensure_venv()
    COMMANDS[sys.argv[1]]()
