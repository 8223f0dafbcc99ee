"""Lambda artifact sizes (issue 15): what `sam build` puts in each function, before and after the
command line and the local stack left functions/.

    .venv/bin/python -m benchmarks.artifact_size [--smoke]

Full: `sam build` of template.yaml with the pinned aws-sam-cli (.tools/sam, `python3 tasks.py
tools`) and a python3.13 on PATH or in pyenv, into a temporary folder (the checkout's .aws-sam/ is
left alone); it downloads the arm64 wheels of functions/requirements.txt from PyPI (about a minute).
Each function's folder is then measured: bytes unzipped (Lambda's limit is 250 MB), bytes of the
zip `sam deploy` uploads (deflated, as sam zips), and its parts: each installed distribution (the
files its RECORD lists) and the code from functions/, with the development code split out.

Smoke: no sam build (it needs the network and a minute); functions/ is copied as sam copies it,
without the dependencies, and measured the same way.

"Before" is the same measurement of commit edbbd92 (functions/feedpub/cli.py, local/ and the
examples link still in functions/), made on 2026-12-06 with aws-sam-cli 1.170.0; it is kept here
because the tree it measured is gone.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from benchmarks.report import Benchmark, Cell, cli

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
SAM = ROOT / ".tools" / "sam" / "bin" / "sam"
FUNCTION_NAMES = ["IngestFunction", "PublishFunction", "ViewsFunction", "MostViewedFunction", "PingFunction"]
DEVELOPMENT = ["feedpub/local", "feedpub/cli.py", "feedpub/examples", "feedpub_cli"]
"""Code that is not the Lambda's: measured apart, and gone after issue 15."""
SAM_SKIPS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
"""What the smoke copy leaves out, as sam's copy does (with *.pyc and *.egg-info)."""

BEFORE_PARTS: dict[str, int] = {
    "botocore": 22107076, "lxml": 11373979, "aws-lambda-powertools": 3549456, "pyyaml": 3030037,
    "nh3": 2700295, "wrapt": 1139096, "jinja2": 496892, "urllib3": 450461, "python-dateutil": 441579,
    "feedpub": 291226, "aws-xray-sdk": 282760, "markdown-it-py": 258772, "markupsafe": 254075,
    "typing-extensions": 182767, "feedgen": 167547, "feedpub/local": 116904, "jmespath": 70223,
    "crawlerdetect": 41945, "requirements.txt": 41335, "six": 37975, "feedpub/examples": 31830,
    "python-frontmatter": 26282, "feedpub/cli.py": 24761, "mdurl": 23308, "handlers": 19587,
    "cloudfront": 2681,
}  # fmt: skip
"""The parts of each function at edbbd92 (all five are one artifact: one CodeUri, one build)."""
BEFORE_ZIPPED = 26_426_779
"""Bytes of each function's zip at edbbd92."""


def tree_files(folder: Path) -> dict[str, int]:
    """Every file under folder (relative POSIX path -> bytes), symlinks followed as sam copies them."""
    files = {}
    for directory, subdirectories, names in os.walk(folder, followlinks=True):
        subdirectories.sort()
        for name in sorted(names):
            path = Path(directory, name)
            files[path.relative_to(folder).as_posix()] = path.stat().st_size
    return files


def parts(folder: Path) -> dict[str, int]:
    """Bytes per part of one built function: each distribution by its RECORD, then what no RECORD
    lists by its top-level entry (feedpub, handlers, ...), the development code apart."""
    files = tree_files(folder)
    owner: dict[str, str] = {}
    for info in sorted(folder.glob("*.dist-info")):
        name = info.name.removesuffix(".dist-info").rsplit("-", 1)[0].replace("_", "-").lower()
        for line in (info / "RECORD").read_text(encoding="utf-8").splitlines():
            path = line.rsplit(",", 2)[0]
            if path in files:
                owner[path] = name
    sizes: dict[str, int] = {}
    for path, size in files.items():
        part = owner.get(path) or next(
            (dev for dev in DEVELOPMENT if path == dev or path.startswith(dev + "/")), path.split("/")[0]
        )
        sizes[part] = sizes.get(part, 0) + size
    return dict(sorted(sizes.items(), key=lambda item: -item[1]))


def zipped_size(folder: Path) -> int:
    """Bytes of the function's zip as `sam package` makes it (deflated, every file)."""
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / "function.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            for path in tree_files(folder):
                zipped.write(folder / path, path)
        return archive.stat().st_size


def python313() -> Path:
    """The folder of a python3.13 for sam's python3.13 builder: pyenv's, else one on PATH that runs
    (a pyenv shim of a version not selected does not)."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = sorted((pyenv_root / "versions").glob("3.13*/bin/python3.13"), reverse=True)
    candidates += [Path(found)] if (found := shutil.which("python3.13")) else []
    for candidate in candidates:
        if subprocess.run([candidate, "-c", ""], capture_output=True, check=False).returncode == 0:
            return candidate.parent
    raise SystemExit("sam build needs a python3.13 (in pyenv or on PATH) for the python3.13 runtime")


def sam_build(build_dir: Path) -> None:
    if not SAM.exists():
        raise SystemExit(f"{SAM.relative_to(ROOT)} is missing: run `python3 tasks.py tools`")
    # The benchmark runner's PYTHONPATH (the checkout) is not for sam's pip.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["SAM_CLI_TELEMETRY"] = "0"
    env["PATH"] = os.pathsep.join([str(python313()), env.get("PATH", "")])
    command = [str(SAM), "build", "--template", str(ROOT / "template.yaml"), "--build-dir", str(build_dir)]
    command += ["--cache-dir", str(build_dir.parent / "cache")]
    built = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if built.returncode:
        raise SystemExit(f"{built.stdout}{built.stderr}! sam build failed (above)")


def copy_code(build_dir: Path) -> None:
    """functions/ as sam copies it into every function, without the dependencies (smoke)."""

    def skipped(_: str, names: list[str]) -> set[str]:
        return {n for n in names if n in SAM_SKIPS or n.endswith((".pyc", ".egg-info"))}

    for name in FUNCTION_NAMES:
        shutil.copytree(FUNCTIONS, build_dir / name, ignore=skipped)
        (build_dir / name / "requirements.txt").unlink()


def mb(size: int) -> float:
    return round(size / 1_000_000, 2)


def build_and_measure(smoke: bool) -> dict[str, tuple[dict[str, int], int]]:
    """Each function's parts and zip size."""
    with tempfile.TemporaryDirectory() as scratch:
        build_dir = Path(scratch) / "build"
        if smoke:
            copy_code(build_dir)
        else:
            sam_build(build_dir)
        measured = {}
        zips: dict[str, int] = {}
        for name in FUNCTION_NAMES:
            folder = build_dir / name
            listing = hashlib.sha256(repr(sorted(tree_files(folder).items())).encode()).hexdigest()
            if listing not in zips:  # the five functions are one artifact, copied: zip it once
                zips[listing] = zipped_size(folder)
            measured[name] = (parts(folder), zips[listing])
        return measured


def part_note(part: str) -> str:
    if part in DEVELOPMENT:
        return "development code: gone" if part in BEFORE_PARTS else "development code"
    if part == "botocore":
        return "aws-xray-sdk's; the runtime has its own: kept, pinned (below)"
    return ""


def run_benchmark(smoke: bool) -> Benchmark:
    measured = build_and_measure(smoke)
    before_total = sum(BEFORE_PARTS.values())
    went = ", ".join(
        f"{part} ({BEFORE_PARTS[part] / 1000:,.0f} KB)" for part in DEVELOPMENT if part in BEFORE_PARTS
    )
    rows: list[list[Cell]] = []
    for name, (sizes, zipped) in measured.items():
        after = sum(sizes.values())
        rows.append([name, "unzipped", mb(before_total), mb(after), after - before_total, went])
        rows.append([name, "zip", mb(BEFORE_ZIPPED), mb(zipped), zipped - BEFORE_ZIPPED, ""])
    first, first_zip = measured[FUNCTION_NAMES[0]]
    for part in sorted(
        BEFORE_PARTS.keys() | first.keys(), key=lambda p: -BEFORE_PARTS.get(p, first.get(p, 0))
    ):
        before, after = BEFORE_PARTS.get(part, 0), first.get(part, 0)
        rows.append(["each function", part, mb(before), mb(after), after - before, part_note(part)])
    left = [part for part in DEVELOPMENT if part in first]
    total = sum(first.values())
    return Benchmark(
        number=0,
        title="Lambda artifact sizes (issue 15)",
        target="the Lambda artifact holds no development code (no CLI, no local stack, no examples)",
        met=None if smoke else not left,
        columns=["function", "part", "before, MB", "after, MB", "change, bytes", "what went"],
        rows=rows,
        summary=(
            f"each of the 5 functions {mb(before_total)} → {mb(total)} MB unzipped ({total - before_total:+,}"
            f" bytes), zip {mb(BEFORE_ZIPPED)} → {mb(first_zip)} MB; development code left: "
            f"{', '.join(left) or 'none'}; botocore ({mb(first.get('botocore', 0))} MB) stays, pinned"
            + (" (smoke: code only, no sam build)" if smoke else "")
        ),
        notes=NOTES,
        extra={"development_left": left, "parts": first, "zip": first_zip},
    )


NOTES = [
    "**Method.** `sam build` (aws-sam-cli 1.170.0, python3.13 builder, arm64 wheels from PyPI) into a "
    "temporary folder; each function's folder measured file by file (bytes, not disk blocks), parts "
    "by the RECORD of each installed distribution. The zip is the folder deflated as `sam package` "
    "uploads it. The five functions share one CodeUri (functions/), so sam builds one artifact and "
    "copies it five times: their numbers are the same. Before: commit edbbd92.",
    "**What went.** The `feedpub` command (`feedpub/cli.py`), the local stack (`feedpub/local/`: moto, "
    "the template on moto, the runner, the CloudFront and hub stand-ins) and the examples link that "
    "`feedpub serve` ships (`feedpub/examples/`) moved to the package `feedpub_cli` in cli/, in the same "
    "distribution; template.yaml still deploys functions/, which now holds only what the functions "
    "import (tests/unit/test_layers.py checks every import in it against functions/requirements.txt). "
    "That is about 0.2 MB a function: the development code never pulled its dependencies (moto, click, "
    "tqdm) into the artifact, so almost all of the 47 MB is the Lambda's own dependencies.",
    "**botocore stays in the artifact** (22 MB of the 47). The python3.13 runtime provides boto3 and "
    "botocore, but aws-xray-sdk (aws-lambda-powertools[tracer]) requires botocore, and `sam build` "
    "installs functions/requirements.txt with `pip download -r`, resolving dependencies in pip's "
    'hash-checking mode: a requirement left out of the file is refused ("In --require-hashes mode, '
    'all requirements must have their versions pinned"), and pip options such as --no-deps cannot be '
    "set from a requirements file or the template. Leaving botocore out would mean dropping the hashes "
    "or a Makefile build (BuildMethod: makefile, pip --no-deps, feedgen's wheel built by hand), both "
    "worse trades for 22 MB that count against neither limit (250 MB unzipped; the zip goes through "
    "S3). Bundled, the functions run the botocore of uv.lock, the one every test runs, whatever the "
    "runtime's version is that day; boto3 itself, a thin layer over it, still comes from the runtime.",
]


def main() -> None:
    cli(run_benchmark, __doc__, "no sam build: functions/ copied as sam copies it, code only")


if __name__ == "__main__":
    main()
