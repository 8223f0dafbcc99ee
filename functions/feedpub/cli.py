"""The `feedpub` command: build feeds from a folder, check articles before uploading."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from feedpub.article import ARTICLES_PREFIX, parse_datetime, utc_now
from feedpub.config import ConfigError, SiteConfig
from feedpub.errors import ArticleError

CONFIG_NAME = "feedpub.toml"


def echo_error(error: ArticleError) -> None:
    """Print an article's problems the way an editor reads them."""
    click.secho(f"✗ {error.path}", fg="red", err=True)
    for problem in error.problems:
        click.echo(f"    {problem.field}: {problem.message}", err=True)


def load_config(config_path: Path | None, search_dir: Path | None, **overrides: Any) -> SiteConfig:
    """The site config from --config, else <dir>/feedpub.toml, else defaults; flags win."""
    try:
        if config_path is None and search_dir is not None and (search_dir / CONFIG_NAME).is_file():
            config_path = search_dir / CONFIG_NAME
        config = SiteConfig.from_toml(config_path) if config_path else SiteConfig()
        return config.with_overrides(**overrides)
    except ConfigError as exc:
        raise click.UsageError(f"site config: {exc}") from None


def parse_now(value: str | None) -> datetime:
    """--now, for reproducible builds of embargoed articles; default: the real clock."""
    if value is None:
        return utc_now()
    parsed = parse_datetime(value)
    if isinstance(parsed, str):
        raise click.BadParameter(parsed, param_hint="--now")
    return parsed


site_options = [
    click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False,
                 path_type=Path), help=f"Site config (TOML). Default: SRC_DIR/{CONFIG_NAME}."),
    click.option("--title", help="Site title."),
    click.option("--base-url", help="Site home page, e.g. https://www.example.com."),
    click.option("--url-template", help="Article URL, e.g. '{base_url}/{section}/{id}'."),
    click.option("--language", help="Default language, e.g. en."),
    click.option("--items", "items_per_feed", type=click.IntRange(1, 1000),
                 help="Items per feed (default 50)."),
]  # fmt: skip


def with_site_options(func: Any) -> Any:
    """Attach the site settings shared by every command."""
    for option in reversed(site_options):
        func = option(func)
    return func


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="feedpub")
def main() -> None:
    """feedpub: news articles in, RSS 2.0, Atom 1.0 and JSON Feed 1.1 out."""


@main.command()
@click.argument("src_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("public"),
    show_default=True,
    help="Where to write the feeds.",
)
@click.option("--now", help="Build as of this time (RFC 3339); default: now.")
@click.option("--jobs", type=click.IntRange(1, 64), help="Parallel parsers (default: cores).")
@click.option("--strict", is_flag=True, help="Exit 1 when any article was rejected.")
@with_site_options
def build(
    src_dir: Path,
    out_dir: Path,
    now: str | None,
    jobs: int | None,
    strict: bool,
    config_path: Path | None,
    **overrides: Any,
) -> None:
    """Build every feed from SRC_DIR (laid out like the bucket: SRC_DIR/articles/<section>/*.md)."""
    from tqdm import tqdm

    from feedpub.build import build as run_build
    from feedpub.build import find_article_files

    config = load_config(config_path, src_dir, **overrides)
    if not (src_dir / ARTICLES_PREFIX).is_dir():
        raise click.UsageError(
            f"{src_dir} has no articles/ folder; put articles in {src_dir}/articles/<section>/<name>.md"
        )
    started = time.perf_counter()
    total = sum(1 for _ in find_article_files(src_dir))
    with tqdm(total=total, unit="article", disable=None, file=sys.stderr, leave=False) as bar:
        result = run_build(src_dir, out_dir, config, parse_now(now), jobs, bar.update)
    for error in result.errors:
        echo_error(error)
    elapsed = time.perf_counter() - started
    click.echo(
        f"{len(result.articles)} articles, {len(result.errors)} rejected; "
        f"{len(result.written)} files written, {len(result.unchanged)} unchanged, "
        f"in {out_dir} ({elapsed:.2f} s)"
    )
    click.echo(f"site feeds: {out_dir / 'feeds' / 'rss.xml'}, atom.xml, feed.json; page: index.html")
    if strict and result.errors:
        sys.exit(1)


def _article_key(path: Path) -> str:
    parts = path.resolve().parts
    if "articles" in parts:
        index = len(parts) - 1 - parts[::-1].index("articles")
        return "/".join(parts[index:])
    return path.as_posix()


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@with_site_options
def check(files: tuple[Path, ...], config_path: Path | None, **overrides: Any) -> None:
    """Validate articles exactly as the pipeline will; exit 1 if any has a problem.

    The site config is --config, else the first feedpub.toml found from FILES upwards.
    """
    from feedpub.build import read_article

    search = next((d for d in [files[0].resolve(), *files[0].resolve().parents]
                   if (d / CONFIG_NAME).is_file()), None)  # fmt: skip
    config = load_config(config_path, search, **overrides)
    paths: list[Path] = []
    for item in files:
        paths.extend(sorted(p for p in item.rglob("*") if p.is_file()) if item.is_dir() else [item])
    now = utc_now()
    failed = 0
    for path in paths:
        key = _article_key(path)
        try:
            article = read_article(key, path, config)
        except ArticleError as error:
            failed += 1
            echo_error(error)
            continue
        state = "draft" if article.draft else (
            "embargoed until " + article.published.isoformat()
            if not article.is_listed(now) else "ok")  # fmt: skip
        click.secho(f"✓ {key}", fg="green", nl=False)
        click.echo(f"  id={article.id} section={article.section} {state}")
    click.echo(f"{len(paths) - failed} ok, {failed} with problems")
    if failed:
        sys.exit(1)


@main.command()
@click.option("--articles-bucket", envvar="ARTICLES_BUCKET", required=True, help="[env ARTICLES_BUCKET]")
@click.option("--site-bucket", envvar="SITE_BUCKET", required=True, help="[env SITE_BUCKET]")
@click.option("--table", envvar="TABLE_NAME", required=True, help="[env TABLE_NAME]")
@click.option("--workers", type=click.IntRange(1, 64), default=16, show_default=True)
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Site config (TOML); default: the FEEDPUB_* environment, as the functions get it.",
)
def backfill(
    articles_bucket: str, site_bucket: str, table: str, workers: int, config_path: Path | None
) -> None:
    """Index every article already in the bucket, then publish every feed.

    How an operator migrates an archive or rebuilds the table after a disaster: the bucket is the
    source of truth. Uses the usual AWS credentials (AWS_PROFILE, AWS_ENDPOINT_URL for local).
    """
    import os

    from tqdm import tqdm

    from feedpub.backfill import backfill as run_backfill
    from feedpub.runtime import build_runtime

    environ = {**os.environ, "ARTICLES_BUCKET": articles_bucket, "SITE_BUCKET": site_bucket,
               "TABLE_NAME": table}  # fmt: skip
    try:
        runtime = build_runtime(environ, load_config(config_path, None) if config_path else None)
    except ConfigError as exc:
        raise click.UsageError(f"site config: {exc}") from None
    with tqdm(unit="article", disable=None, file=sys.stderr) as bar:
        result = run_backfill(
            runtime, workers, on_key=lambda _: bar.update(1), on_total=lambda n: setattr(bar, "total", n)
        )
    for outcome in result.rejected:
        echo_error(ArticleError(outcome.key, outcome.problems))
    for key, reason in result.failed:
        click.secho(f"! {key}: {reason}", fg="yellow", err=True)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(result.statuses.items()))
    written = len(result.publish.written) if result.publish else 0
    click.echo(
        f"backfill: {counts or 'no articles'}; {len(result.failed)} failed; {written} feed files written"
    )
    if result.failed:
        sys.exit(1)


@main.group()
def views() -> None:
    """Page views for the most-viewed feeds."""


@views.command("import")
@click.argument(
    "logfiles", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--table", envvar="TABLE_NAME", required=True, help="[env TABLE_NAME]")
def views_import(logfiles: tuple[Path, ...], table: str) -> None:
    """Count CloudFront access logs (gzip or plain) into the table, e.g. to backfill history.

    Each file is counted once: importing it again, or importing a file the pipeline already
    counted under the same name and content, adds nothing.
    """
    from tqdm import tqdm

    from feedpub.aws.views_table import ViewCounts
    from feedpub.most_viewed import count_log
    from feedpub.views.logs import LogFormatError

    counts = ViewCounts(table)
    totals = {"views": 0, "malformed": 0, "duplicates": 0, "failed": 0}
    for path in tqdm(logfiles, unit="file", disable=None, file=sys.stderr):
        data = path.read_bytes()
        try:
            result = count_log(path.name, data, counts)
        except LogFormatError as exc:
            totals["failed"] += 1
            click.secho(f"✗ {path}: {exc}", fg="red", err=True)
            continue
        totals["views"] += result.views
        totals["malformed"] += result.malformed
        totals["duplicates"] += result.chunks_applied == 0 and result.views > 0
    click.echo(
        f"{len(logfiles)} files: {totals['views']} views counted, {totals['malformed']} malformed lines "
        f"skipped, {totals['duplicates']} files already counted, {totals['failed']} unreadable"
    )
    if totals["failed"]:
        sys.exit(1)


@main.command()
@click.option(
    "--examples",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("examples"),
    show_default=True,
    help="Articles (and feedpub.toml) to start with.",
)
@click.option(
    "--articles",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Another folder laid out like the bucket, uploaded too.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="The site (CloudFront stand-in); 0 picks a free port.",
)
@click.option("--aws-port", type=click.IntRange(0, 65535), default=4566, show_default=True,
              help="The embedded S3/SQS/DynamoDB endpoint; 0 picks a free port.")  # fmt: skip
def serve(examples: Path, articles: Path | None, port: int, aws_port: int) -> None:
    """Run the whole stack locally: moto, the template's resources, the functions, and the site.

    Ctrl-C stops everything. Nothing is kept between runs: each start uploads the articles again.
    """
    import logging

    from feedpub.local.serve import start

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        site = start(examples, aws_port, port, extra_articles=articles)
    except OSError as exc:
        raise click.UsageError(
            f"cannot start: {exc} (is the port taken? try --port 0 --aws-port 0)"
        ) from None
    click.secho(f"feedpub is up in {site.started_in:.1f} s", fg="green")
    for name, url in site.feed_urls.items():
        click.echo(f"  {name:<12} {url}")
    click.echo(f"  {'AWS endpoint':<12} {site.aws_endpoint}  (articles bucket: {site.stack.articles_bucket})")
    click.echo(f"  {'WebSub hub':<12} {site.hub.url}")
    click.echo("\nAdd a story:")
    click.echo(f"  feedpub upload story.md --section world      or\n  {site.upload_command()}")
    click.echo(f"Re-rank most viewed now:  curl {site.site_url}/_local/run/MostViewedFunction")
    click.echo(f"Get pushes (a WebSub subscriber):\n  {site.subscribe_command()}")
    click.echo("Ctrl-C stops everything.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("\nstopping…")
    finally:
        site.stop()


@main.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--section", help="Section folder (default: the file's parent folder name).")
def upload(files: tuple[Path, ...], section: str | None) -> None:
    """Upload articles to the stack `feedpub serve` is running (checks them first)."""
    import json
    import os

    from feedpub.build import read_article
    from feedpub.local.serve import FAKE_CREDENTIALS, STATE_FILE

    if not STATE_FILE.is_file():
        raise click.UsageError("no local stack is running here (start `feedpub serve` in this folder)")
    state = json.loads(STATE_FILE.read_text())
    os.environ.update(FAKE_CREDENTIALS)
    import boto3

    s3 = boto3.client("s3", endpoint_url=state["endpoint"])
    for path in files:
        key = f"articles/{section or path.parent.name}/{path.name}"
        try:
            read_article(key, path, load_config(None, Path("examples")))
        except ArticleError as error:
            echo_error(error)
            click.echo("  (uploading anyway: the pipeline will write the same report beside it)")
        s3.put_object(Bucket=state["articles_bucket"], Key=key, Body=path.read_bytes())
        click.echo(f"uploaded {key}; watch {state['site']}/feeds/rss.xml")


@main.command("audit")
@click.option("--articles-bucket", envvar="ARTICLES_BUCKET", required=True, help="[env ARTICLES_BUCKET]")
@click.option("--site-bucket", envvar="SITE_BUCKET", required=True, help="[env SITE_BUCKET]")
@click.option("--table", envvar="TABLE_NAME", required=True, help="[env TABLE_NAME]")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Site config (TOML); default: the FEEDPUB_* environment, as the functions get it.",
)
def audit_command(articles_bucket: str, site_bucket: str, table: str, config_path: Path | None) -> None:
    """Reconcile bucket, index and feeds; print every discrepancy and exit 1 if there is any.

    Reads everything (lists the bucket, scans the table): run it after incidents, not on a schedule.
    """
    import os

    from feedpub.audit import audit
    from feedpub.runtime import build_runtime

    environ = {**os.environ, "ARTICLES_BUCKET": articles_bucket, "SITE_BUCKET": site_bucket,
               "TABLE_NAME": table}  # fmt: skip
    try:
        runtime = build_runtime(environ, load_config(config_path, None) if config_path else None)
        found = audit(runtime.articles, runtime.index, runtime.site, runtime.config, utc_now())
    except ConfigError as exc:
        raise click.UsageError(f"site config: {exc}") from None
    for discrepancy in found:
        click.secho(f"✗ {discrepancy}", fg="red")
    click.echo(f"{len(found)} discrepancies")
    if found:
        sys.exit(1)


@main.command()
@click.option("--from", "source", required=True, help="Dead-letter queue URL.")
@click.option("--to", "target", required=True, help="The queue its messages came from.")
def redrive(source: str, target: str) -> None:
    """Move every message from a dead-letter queue back to its queue, once the cause is fixed.

    Safe at any time: ingest reads each object's current state and counting is once per log, so
    an old message can only make the index equal to the bucket. (On AWS, `aws sqs
    start-message-move-task` does the same.)
    """
    import boto3

    sqs = boto3.client("sqs")
    moved = 0
    while messages := sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            sqs.send_message(QueueUrl=target, MessageBody=message["Body"])
            sqs.delete_message(QueueUrl=source, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    click.echo(f"{moved} messages moved back to {target}")
