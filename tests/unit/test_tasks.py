"""tasks.py runs a command to its end: Ctrl-C is the command's to handle (no traceback of tasks.py's
own, no killing it before it has cleaned up), and a SIGTERM sent to tasks.py reaches the command.

tasks.run() runs in a subprocess of its own here, so the signals never reach pytest.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.paths import ROOT

COMMAND = """
import signal, sys, time
from pathlib import Path
def stop(signum, frame):
    Path(sys.argv[1] + ".stopped").touch()  # what `feedpub serve` does: clean up, exit 0
    sys.exit(0)
signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)
Path(sys.argv[1]).touch()
time.sleep(30)
sys.exit(3)
"""
TASKS = "import sys; sys.path.insert(0, sys.argv[1]); import tasks; tasks.run(*sys.argv[2:])"


def run_in_tasks(tmp_path: Path, *command: str) -> subprocess.Popen[str]:
    """`tasks.run(*command)` in a new process group, as a terminal runs a foreground job."""
    return subprocess.Popen(
        [sys.executable, "-c", TASKS, str(ROOT), *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for(path: Path) -> None:
    deadline = time.monotonic() + 20
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


@pytest.mark.parametrize("how", ["ctrl-c in the terminal", "sigterm to tasks.py"])
def test_a_stop_reaches_the_command_and_tasks_exits_cleanly(tmp_path: Path, how: str) -> None:
    marker = tmp_path / "started"
    tasks = run_in_tasks(tmp_path, sys.executable, "-c", COMMAND, str(marker))
    try:
        wait_for(marker)
        if how == "ctrl-c in the terminal":
            os.killpg(tasks.pid, signal.SIGINT)  # the whole foreground group, tasks.py and command
        else:
            tasks.send_signal(signal.SIGTERM)  # tasks.py alone, as a supervisor stops it
        _, stderr = tasks.communicate(timeout=10)
    finally:
        if tasks.poll() is None:
            os.killpg(tasks.pid, signal.SIGKILL)
    assert tasks.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert (tmp_path / "started.stopped").exists()  # the command stopped cleanly, not killed


def test_a_failing_command_stops_tasks_with_its_exit_code(tmp_path: Path) -> None:
    tasks = run_in_tasks(tmp_path, sys.executable, "-c", "import sys; sys.exit(3)")
    _, stderr = tasks.communicate(timeout=20)
    assert tasks.returncode == 3, stderr
