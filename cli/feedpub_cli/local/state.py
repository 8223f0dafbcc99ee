"""How `feedpub upload` and `feedpub audit --local` find a running `feedpub serve`, from any folder.

Each running stack keeps one small JSON file, named by its site port, in the user's runtime
directory ($XDG_RUNTIME_DIR/feedpub: private to the user, emptied at logout) or, where there is
none (macOS, containers), the user cache directory ($XDG_CACHE_HOME/feedpub, ~/.cache/feedpub).
It says where the stack listens, what its resources are called and the site settings its
functions run with. `serve` writes it once the stack is up and removes it when it stops; a file
left by a stack that was killed (its process is gone or its site port answers nothing) is stale,
and is removed by whoever finds it.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from feedpub.config import SiteConfig

APP_DIR = "feedpub"


def state_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """Where running stacks keep their state files: the runtime directory, else the cache."""
    runtime_dir = environ.get("XDG_RUNTIME_DIR", "")
    if runtime_dir and Path(runtime_dir).is_dir():
        return Path(runtime_dir) / APP_DIR
    cache_dir = environ.get("XDG_CACHE_HOME", "")
    return (Path(cache_dir) if cache_dir else Path.home() / ".cache") / APP_DIR


class NoStackError(Exception):
    """No single running stack to talk to; the message says why in one sentence, and what to do."""


@dataclass(frozen=True)
class StackState:
    """What another process needs to talk to a running local stack."""

    pid: int
    site: str
    """The site's URL (the CloudFront stand-in), e.g. http://127.0.0.1:8080."""
    endpoint: str
    """The embedded AWS endpoint (S3, SQS, DynamoDB)."""
    articles_bucket: str
    site_bucket: str
    table: str
    settings: dict[str, Any]
    """The SiteConfig the stack's functions run with, as plain values."""
    path: Path = field(default=Path(), compare=False)
    """The file it was read from or written to."""

    @property
    def port(self) -> int:
        """The site port, which names the state file."""
        return urlsplit(self.site).port or 80

    @property
    def config(self) -> SiteConfig:
        """The stack's site settings, so that local audits compute the same ids and URLs."""
        return SiteConfig.from_mapping(self.settings, origin=str(self.path))

    def write(self, directory: Path | None = None) -> StackState:
        """Publish the state (atomically: a reader never sees half a file); returns it as readers
        will see it, with its path."""
        directory = directory or state_dir()
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = directory / f"{self.port}.json"
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        text = json.dumps({k: v for k, v in asdict(self).items() if k != "path"}, indent=2)
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
        return StackState(**json.loads(text), path=path)

    def remove(self) -> None:
        """Withdraw the state: the stack is stopping."""
        self.path.unlink(missing_ok=True)

    def is_live(self) -> bool:
        """Whether the stack still runs: its process exists and its site port accepts connections."""
        if os.name != "nt":  # os.kill(pid, 0) would terminate the process on Windows
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                pass  # someone else's process: the port decides
        host = urlsplit(self.site).hostname or "127.0.0.1"
        try:
            with socket.create_connection((host, self.port), timeout=1):
                return True
        except OSError:
            return False


def read_state(path: Path) -> StackState | None:
    """The state in a file, or None when it cannot be read (a crash mid-write, another version)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return StackState(**data, path=path)
    except (OSError, ValueError, TypeError):
        return None


def find_stack(port: int | None = None, directory: Path | None = None) -> StackState:
    """The running stack (the one on `port`, if given); removes stale state files on the way.

    Raises NoStackError when none runs, or when several do and no port says which.
    """
    directory = directory or state_dir()
    live: list[StackState] = []
    stale: list[str] = []
    for path in sorted(directory.glob("*.json")):
        state = read_state(path)
        if state is not None and state.is_live():
            live.append(state)
        else:
            path.unlink(missing_ok=True)
            stale.append(str(path))
    chosen = [state for state in live if port is None or state.port == port]
    if len(chosen) == 1:
        return chosen[0]
    if chosen:
        sites = ", ".join(state.site for state in chosen)
        raise NoStackError(f"{len(chosen)} local stacks are running ({sites}); choose one with --port")
    where = "" if port is None else f" on port {port}"
    others = f"; running: {', '.join(state.site for state in live)}" if live else ""
    cleaned = f"; stale state file removed: {', '.join(stale)}" if stale else ""
    raise NoStackError(f"no local stack is running{where} (start one with `feedpub serve`{others}{cleaned})")
