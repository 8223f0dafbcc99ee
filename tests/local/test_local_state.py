"""Finding a running `feedpub serve` from any folder: state files, stale ones, several stacks, and
what `feedpub upload` and `feedpub audit --local` say when there is no stack to talk to.

A "live stack" here is this process (its PID exists) with a socket listening on the site port;
no AWS is involved, so every test runs in milliseconds.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from feedpub.config import SiteConfig
from feedpub_cli.local.state import NoStackError, StackState, find_stack, read_state, state_dir
from feedpub_cli.main import main
from tests.support.paths import EXAMPLES

Listener = Callable[[], int]


@pytest.fixture
def runtime_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private $XDG_RUNTIME_DIR: this test's stacks only."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    return tmp_path / "feedpub"


@pytest.fixture
def listener() -> Iterator[Listener]:
    """Opens sockets listening on free ports (stand-ins for sites); returns their ports."""
    sockets: list[socket.socket] = []

    def listen() -> int:
        server = socket.create_server(("127.0.0.1", 0))
        sockets.append(server)
        port: int = server.getsockname()[1]
        return port

    yield listen
    for server in sockets:
        server.close()


def closed_port() -> int:
    """A port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def dead_pid() -> int:
    """The PID of a process that has exited (and been reaped)."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                           check=True, text=True)  # fmt: skip
    return int(child.stdout)


def stack_state(site_port: int, endpoint_port: int | None = None, pid: int | None = None) -> StackState:
    config = SiteConfig.from_toml(EXAMPLES / "feedpub.toml").with_overrides(
        base_url=f"http://127.0.0.1:{site_port}"
    )
    return StackState(
        pid=os.getpid() if pid is None else pid,
        site=f"http://127.0.0.1:{site_port}",
        endpoint=f"http://127.0.0.1:{endpoint_port or closed_port()}",
        articles_bucket="articles",
        site_bucket="site",
        table="table",
        settings=config.to_mapping(),
    )


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_one_sentence(result: Result, message: str) -> None:
    """Exit 2 with exactly `Error: <message…>` and nothing that looks like a traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.output.startswith(f"Error: {message}")
    assert result.output.count("\n") == 1, result.output


# -------------------------------------------------------------------------------------------------
# Where state lives
# -------------------------------------------------------------------------------------------------


def test_state_dir_prefers_the_runtime_dir_then_the_cache(tmp_path: Path) -> None:
    ours = tmp_path / "feedpub"
    assert state_dir({"XDG_RUNTIME_DIR": str(tmp_path), "XDG_CACHE_HOME": "/elsewhere"}) == ours
    no_runtime_dir = {"XDG_RUNTIME_DIR": str(tmp_path / "not-there"), "XDG_CACHE_HOME": str(tmp_path)}
    assert state_dir(no_runtime_dir) == ours
    assert state_dir({}) == Path.home() / ".cache" / "feedpub"


def test_written_state_reads_back_and_is_removed(runtime_dir: Path, listener: Listener) -> None:
    port = listener()
    state = stack_state(port).write()
    assert state.path == runtime_dir / f"{port}.json"
    assert read_state(state.path) == state
    assert state.config.base_url == f"http://127.0.0.1:{port}"
    assert [p.name for p in runtime_dir.iterdir()] == [f"{port}.json"]  # no temporary file left
    assert find_stack() == state
    state.remove()
    assert not state.path.exists()


# -------------------------------------------------------------------------------------------------
# Choosing a stack
# -------------------------------------------------------------------------------------------------


def test_no_state_at_all(runtime_dir: Path) -> None:
    with pytest.raises(NoStackError) as raised:
        find_stack()
    assert str(raised.value) == "no local stack is running (start one with `feedpub serve`)"


@pytest.mark.parametrize("why", ["dead process", "port answers nothing", "unreadable"])
def test_a_stale_state_file_is_removed_and_said_so(runtime_dir: Path, why: str) -> None:
    if why == "dead process":
        path = stack_state(closed_port(), pid=dead_pid()).write().path
    elif why == "port answers nothing":
        path = stack_state(closed_port()).write().path
    else:
        runtime_dir.mkdir(parents=True)
        path = runtime_dir / "8080.json"
        path.write_text('{"pid": 1, "site": "http://127.0.0.1:8080", "endp', encoding="utf-8")
    with pytest.raises(NoStackError) as raised:
        find_stack()
    assert str(raised.value) == (
        f"no local stack is running (start one with `feedpub serve`; stale state file removed: {path})"
    )
    assert not path.exists()


def test_the_only_live_stack_is_chosen_among_stale_ones(runtime_dir: Path, listener: Listener) -> None:
    stale = stack_state(closed_port()).write()
    live = stack_state(listener()).write()
    assert find_stack() == live
    assert not stale.path.exists()


def test_several_live_stacks_need_a_port(runtime_dir: Path, listener: Listener) -> None:
    first, second = stack_state(listener()).write(), stack_state(listener()).write()
    with pytest.raises(NoStackError) as raised:
        find_stack()
    assert str(raised.value) == (
        f"2 local stacks are running ({first.site}, {second.site}); choose one with --port"
        if first.path < second.path
        else f"2 local stacks are running ({second.site}, {first.site}); choose one with --port"
    )
    assert find_stack(second.port) == second
    nowhere = closed_port()
    with pytest.raises(NoStackError, match=f"no local stack is running on port {nowhere} "):
        find_stack(nowhere)


# -------------------------------------------------------------------------------------------------
# The commands that need a stack say so in one sentence
# -------------------------------------------------------------------------------------------------


@pytest.fixture
def story(tmp_path: Path) -> Path:
    path = tmp_path / "story.md"
    path.write_text('---\ntitle: Nowhere to go\npublished: "2026-11-20T08:00:00Z"\n---\nBody.\n')
    return path


def test_upload_and_audit_without_a_stack(runtime_dir: Path, story: Path) -> None:
    message = "no local stack is running (start one with `feedpub serve`)"
    assert_one_sentence(invoke("upload", story, "--section", "world"), message)
    assert_one_sentence(invoke("audit", "--local"), message)


def test_upload_after_the_stack_was_killed(runtime_dir: Path, story: Path) -> None:
    path = stack_state(closed_port(), pid=dead_pid()).write().path
    result = invoke("upload", story)
    assert_one_sentence(result, "no local stack is running (start one with `feedpub serve`; stale state file")
    assert not path.exists()


def test_upload_when_the_stack_stops_answering(runtime_dir: Path, listener: Listener, story: Path) -> None:
    """Its site still listens, its AWS endpoint is gone: no botocore traceback."""
    state = stack_state(listener()).write()
    result = invoke("upload", story, "--section", "world")
    assert_one_sentence(
        result, f"the local stack at {state.site} stopped answering (EndpointConnectionError); start it"
    )


def test_upload_with_several_stacks_asks_for_a_port(
    runtime_dir: Path, listener: Listener, story: Path
) -> None:
    stack_state(listener()).write()
    stack_state(listener()).write()
    assert_one_sentence(invoke("upload", story), "2 local stacks are running (")


def test_audit_needs_names_or_local(runtime_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ARTICLES_BUCKET", "SITE_BUCKET", "TABLE_NAME"):
        monkeypatch.delenv(name, raising=False)
    result = invoke("audit", "--articles-bucket", "a")
    assert result.exit_code == 2
    assert "give --articles-bucket, --site-bucket and --table" in result.output
    assert "--local" in result.output


def test_state_keeps_every_site_setting_through_json(tmp_path: Path) -> None:
    config = SiteConfig.from_mapping(
        {"tag_feeds": ["Climate", "Port Ellis"], "author_feeds": "all", "partners": ["smartnews"],
         "logo_url": "https://www.example.com/logo.png", "items_per_kind": {"partner": 30}}
    )  # fmt: skip
    endpoints = ("http://127.0.0.1:1", "http://127.0.0.1:2")
    state = StackState(os.getpid(), *endpoints, "a", "s", "t", config.to_mapping())
    assert state.write(tmp_path).config == config
