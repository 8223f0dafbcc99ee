"""The `feedpub` command: build feeds from a folder, check articles before uploading."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from feedpub.article import parse_datetime
from feedpub.clock import utc_now
from feedpub.config import ConfigError, SiteConfig
from feedpub.errors import ArticleError
from feedpub.names import ARTICLES_PREFIX

if TYPE_CHECKING:
    from feedpub_cli.local.serve import LocalSite
    from feedpub_cli.local.state import StackState

CONFIG_NAME = "feedpub.toml"
Command = TypeVar("Command", bound=Callable[..., Any])


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


def site_options(config_default: str) -> Callable[[Command], Command]:
    """Attach the site settings shared by build and check; `config_default` says where --config
    is looked for when it is not given."""
    options = [
        click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False,
                     path_type=Path), help=f"Site config (TOML). Default: {config_default}."),
        click.option("--title", help="Site title."),
        click.option("--base-url", help="Site home page, e.g. https://www.example.com."),
        click.option("--url-template", help="Article URL, e.g. '{base_url}/{section}/{id}'."),
        click.option("--language", help="Default language, e.g. en."),
        click.option("--items", "items_per_feed", type=click.IntRange(1, 1000),
                     help="Items per feed (default 50)."),
    ]  # fmt: skip

    def attach(func: Command) -> Command:
        for option in reversed(options):
            func = option(func)
        return func

    return attach


class NoLocalStack(click.ClickException):
    """No local stack to talk to: one sentence saying why and what to do, exit 2 (like a usage
    error, without the usage text), never a traceback."""

    exit_code = 2


def find_local_stack(port: int | None) -> StackState:
    """The running `feedpub serve` (the one on --port when several run)."""
    from feedpub_cli.local.state import NoStackError, find_stack

    try:
        return find_stack(port)
    except NoStackError as exc:
        raise NoLocalStack(str(exc)) from None


@contextlib.contextmanager
def stack_answers(state: StackState) -> Iterator[None]:
    """Turn the stack dying under a command (connection refused or dropped) into one sentence."""
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import HTTPClientError

    try:
        yield
    except (BotoConnectionError, HTTPClientError) as exc:
        raise NoLocalStack(
            f"the local stack at {state.site} stopped answering ({type(exc).__name__}); "
            "start it again with `feedpub serve`"
        ) from None


port_option = click.option(
    "--port", type=click.IntRange(1, 65535), help="The site port of the stack to use, when several run."
)


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
@click.option("--no-cache", is_flag=True, help="Skip SRC_DIR/.feedpub-cache (safe to delete).")
@site_options(f"SRC_DIR/{CONFIG_NAME}")
def build(
    src_dir: Path,
    out_dir: Path,
    now: str | None,
    jobs: int | None,
    strict: bool,
    no_cache: bool,
    config_path: Path | None,
    **overrides: Any,
) -> None:
    """Build every feed from SRC_DIR (laid out like the bucket: SRC_DIR/articles/<section>/*.md)."""
    from tqdm import tqdm

    from feedpub.build import article_paths
    from feedpub.build import build as run_build

    config = load_config(config_path, src_dir, **overrides)
    if not (src_dir / ARTICLES_PREFIX).is_dir():
        raise click.UsageError(
            f"{src_dir} has no {ARTICLES_PREFIX} folder; "
            f"put articles in {src_dir}/{ARTICLES_PREFIX}<section>/<name>.md"
        )
    started = time.perf_counter()
    total = len(article_paths(src_dir))
    with tqdm(total=total, unit="article", disable=None, file=sys.stderr, leave=False) as bar:
        result = run_build(src_dir, out_dir, config, parse_now(now), jobs, bar.update, not no_cache)
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
    folder = ARTICLES_PREFIX.rstrip("/")
    if folder in parts:
        index = len(parts) - 1 - parts[::-1].index(folder)
        return "/".join(parts[index:])
    return path.as_posix()


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--section", help="Section folder (default: from articles/<section>/ in the path).")
@site_options(f"the first {CONFIG_NAME} found from FILES upwards")
def check(files: tuple[Path, ...], section: str | None, config_path: Path | None, **overrides: Any) -> None:
    """Validate articles exactly as the pipeline will; exit 1 if any has a problem.

    A story outside an articles/<section>/ folder is checked as `feedpub upload --section` would
    upload it.
    """
    from feedpub.build import read_article
    from feedpub.feeds import fan_out_warnings

    search = next((d for d in [files[0].resolve(), *files[0].resolve().parents]
                   if (d / CONFIG_NAME).is_file()), None)  # fmt: skip
    config = load_config(config_path, search, **overrides)
    paths: list[Path] = []
    for item in files:
        paths.extend(sorted(p for p in item.rglob("*") if p.is_file()) if item.is_dir() else [item])
    now = utc_now()
    failed = 0
    for path in paths:
        key = f"{ARTICLES_PREFIX}{section}/{path.name}" if section else _article_key(path)
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
        access = "" if article.is_public else f" access={article.access}"  # only the body-less ones
        click.echo(f"  id={article.id} section={article.section}{access} {state}")
        for warning in fan_out_warnings(article, config):
            click.secho(f"  ! {warning}", fg="yellow")
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


@main.command()
@click.option("--site-bucket", envvar="SITE_BUCKET", required=True, help="[env SITE_BUCKET]")
@click.option("--table", envvar="TABLE_NAME", required=True, help="[env TABLE_NAME]")
@click.option("--now", help="Publish as of this time (RFC 3339); default: now.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Site config (TOML); default: the FEEDPUB_* environment, as the functions get it.",
)
def republish(site_bucket: str, table: str, now: str | None, config_path: Path | None) -> None:
    """Write every feed, sitemap and most-viewed file from the index, whatever it says is published.

    How a lost or emptied site bucket is refilled: the publishers skip a file whose recorded hash
    is unchanged, so neither the schedule nor a backfill would write it again.
    """
    from feedpub.runtime import build_runtime

    environ = {**os.environ, "SITE_BUCKET": site_bucket, "TABLE_NAME": table}
    try:
        runtime = build_runtime(environ, load_config(config_path, None) if config_path else None)
    except ConfigError as exc:
        raise click.UsageError(f"site config: {exc}") from None
    moment = parse_now(now)
    publisher = runtime.publisher
    result = publisher.publish(moment, force=publisher.known_feeds(), rewrite=True)
    written, _ = runtime.most_viewed.publish(moment, rewrite=True)
    click.echo(f"republish: {len(result.written)} feed and sitemap files, {len(written)} most-viewed files")
    if result.deferred:
        click.secho("! another publisher held the lock: run republish again", fg="yellow", err=True)
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
    help="Articles (and feedpub.toml) to start with. Default: the example articles shipped with feedpub.",
)
@click.option(
    "--articles",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder laid out like the bucket (articles/<section>/...), uploaded too.",
)
@click.option("--empty", is_flag=True, help="Start with no articles at all.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="The site (CloudFront stand-in); 0 picks a free port.",
)
@click.option("--aws-port", type=click.IntRange(0, 65535), default=4566, show_default=True,
              help="The embedded S3/SQS/DynamoDB endpoint; 0 picks a free port.")  # fmt: skip
def serve(examples: Path | None, articles: Path | None, empty: bool, port: int, aws_port: int) -> None:
    """Run the whole stack locally: moto, the template's resources, the functions, and the site.

    Ctrl-C (or SIGTERM) stops everything. Nothing is kept between runs: each start uploads the
    articles again.
    """
    import gc
    import logging
    import signal

    if empty and (examples or articles):
        raise click.UsageError("--empty starts with no articles; leave out --examples and --articles")
    site: LocalSite | None = None
    stop_requested: list[int] = []

    def request_stop(signum: int, _frame: object) -> None:
        """SIGINT and SIGTERM stop serve alike; a repeated one changes nothing (a terminal's
        Ctrl-C reaches `tasks.py serve` and this process both)."""
        if not stop_requested:
            stop_requested.append(signum)
            if site is None:
                raise KeyboardInterrupt  # still starting: start() stops what it started

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        from feedpub_cli.local.serve import packaged_examples, start
        from feedpub_cli.local.stack import TEMPLATE_PATH

        if not TEMPLATE_PATH.is_file():
            raise click.ClickException(
                f"feedpub serve needs the template.yaml and handlers of a feedpub checkout, and "
                f"{TEMPLATE_PATH} is not there: install feedpub from a clone with `pip install -e '.[local]'`"
            )
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        with contextlib.ExitStack() as folders:
            if examples is None and articles is None and not empty:
                examples = folders.enter_context(packaged_examples())
            site = start(examples, aws_port, port, extra_articles=articles)
    except KeyboardInterrupt:
        click.echo("stopped before the stack was up")
        return
    except OSError as exc:
        raise click.UsageError(
            f"cannot start: {exc} (is the port taken? try --port 0 --aws-port 0)"
        ) from None
    assert site.state is not None  # start() returns once the state is written
    click.secho(f"feedpub is up in {site.started_in:.1f} s", fg="green")
    for name, url in site.feed_urls.items():
        click.echo(f"  {name:<12} {url}")
    click.echo(f"  {'AWS endpoint':<12} {site.aws_endpoint}  (articles bucket: {site.stack.articles_bucket})")
    click.echo(f"  {'WebSub hub':<12} {site.hub.url}")
    click.echo(f"  {'state':<12} {site.state.path}")
    click.echo(f"  {'':<12} (how `feedpub upload` and `feedpub audit --local` find this stack; removed at")
    click.echo(f"  {'':<12} stop, like the articles, index and feeds, which are kept in memory only)")
    click.echo("\nAdd a story:")
    click.echo(f"  feedpub upload story.md --section world      or\n  {site.upload_command()}")
    click.echo(f"Re-rank most viewed now:  curl {site.site_url}/_local/run/MostViewedFunction")
    click.echo(f"Get pushes (a WebSub subscriber):\n  {site.subscribe_command()}")
    click.echo("Ctrl-C stops everything.")
    while not stop_requested:
        time.sleep(0.2)
    click.echo("\nstopping…")
    site.stop()
    # The interpreter's last garbage collections, over the objects moto, botocore and cfn-lint
    # leave behind, take seconds; nothing of theirs needs finalizing once the stack has stopped.
    gc.freeze()


@main.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--section", help="Section folder (default: the file's parent folder name).")
@port_option
def upload(files: tuple[Path, ...], section: str | None, port: int | None) -> None:
    """Upload articles to the stack `feedpub serve` is running (checks them first)."""
    import boto3
    from botocore.config import Config

    from feedpub.build import read_article
    from feedpub_cli.local.serve import FAKE_CREDENTIALS

    state = find_local_stack(port)
    config = state.config
    s3 = boto3.client(
        "s3",
        endpoint_url=state.endpoint,
        region_name=FAKE_CREDENTIALS["AWS_REGION"],
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=Config(connect_timeout=2, retries={"total_max_attempts": 2}),  # it is local: fail fast
    )
    for path in files:
        key = f"{ARTICLES_PREFIX}{section or path.parent.name}/{path.name}"
        try:
            read_article(key, path, config)
        except ArticleError as error:
            echo_error(error)
            click.echo("  (uploading anyway: the pipeline will write the same report beside it)")
        with stack_answers(state):
            s3.put_object(Bucket=state.articles_bucket, Key=key, Body=path.read_bytes())
        click.echo(f"uploaded {key}; watch {state.site}/feeds/rss.xml")


@main.command("audit")
@click.option("--articles-bucket", envvar="ARTICLES_BUCKET", help="[env ARTICLES_BUCKET]")
@click.option("--site-bucket", envvar="SITE_BUCKET", help="[env SITE_BUCKET]")
@click.option("--table", envvar="TABLE_NAME", help="[env TABLE_NAME]")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Site config (TOML); default: the FEEDPUB_* environment, as the functions get it.",
)
@click.option("--local", is_flag=True,
              help="Audit the stack `feedpub serve` runs, with its names and site settings.")  # fmt: skip
@port_option
def audit_command(
    articles_bucket: str | None,
    site_bucket: str | None,
    table: str | None,
    config_path: Path | None,
    local: bool,
    port: int | None,
) -> None:
    """Reconcile bucket, index and feeds; print every discrepancy and exit 1 if there is any.

    Reads everything (lists the bucket, scans the table): run it after incidents, not on a schedule.
    """
    from feedpub.audit import audit
    from feedpub.runtime import build_runtime

    state: StackState | None = None
    if local:
        from feedpub_cli.local.serve import FAKE_CREDENTIALS

        state = find_local_stack(port)
        articles_bucket, site_bucket, table = state.articles_bucket, state.site_bucket, state.table
        # The runtime's cached clients take the endpoint from the environment, as the functions' do.
        os.environ.update({**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": state.endpoint})
        os.environ.pop("AWS_PROFILE", None)
    elif not (articles_bucket and site_bucket and table):
        raise click.UsageError(
            "give --articles-bucket, --site-bucket and --table (or ARTICLES_BUCKET, SITE_BUCKET and "
            "TABLE_NAME), or --local for the stack `feedpub serve` runs"
        )
    environ = {**os.environ, "ARTICLES_BUCKET": articles_bucket, "SITE_BUCKET": site_bucket,
               "TABLE_NAME": table}  # fmt: skip
    try:
        config = load_config(config_path, None) if config_path else (state.config if state else None)
        runtime = build_runtime(environ, config)
        with stack_answers(state) if state else contextlib.nullcontext():
            found = audit(runtime.articles, runtime.index, runtime.site, runtime.config, utc_now())
    except ConfigError as exc:
        raise click.UsageError(f"site config: {exc}") from None
    for discrepancy in found:
        click.secho(f"✗ {discrepancy}", fg="red")
    click.echo(f"{len(found)} discrepancies")
    if found:
        sys.exit(1)


def parse_partners_option(value: str) -> tuple[str, ...]:
    """--for: partner names separated by commas; a name feedpub does not know is a usage error."""
    from feedpub.choices import unknown_partner
    from feedpub.names import PARTNERS

    names = [name.strip().lower() for name in value.split(",") if name.strip()]
    for name in names:
        if name not in PARTNERS:
            raise click.BadParameter(unknown_partner(name), param_hint="--for")
    if not names:
        raise click.BadParameter(f"name at least one partner of: {', '.join(PARTNERS)}", param_hint="--for")
    return tuple(dict.fromkeys(names))


@main.command()
@click.argument("feeds", nargs=-1, required=True, metavar="FEED_FILE_OR_URL...")
@click.option(
    "--for",
    "partners",
    default="google-news,apple-news,flipboard,msn,smartnews",
    show_default=True,
    help="Partners whose rules to check, separated by commas.",
)
@click.option("--now", help="Check dates as of this time (RFC 3339); default: now.")
def doctor(feeds: tuple[str, ...], partners: str, now: str | None) -> None:
    """Check feeds against the partners' published requirements (docs/partners.md).

    Prints, per feed and per item, each rule that fails: the partner, the rule, where it is
    documented and the fix. Exit 1 when any blocker fails (the partner refuses the feed or the
    item), 0 when there is only advice, 2 when a FEED_FILE_OR_URL cannot be read or is no feed.
    """
    from feedpub.partners.check import check_feed
    from feedpub.partners.doctor import UnreadableFeedError, read_source, report_lines
    from feedpub.partners.model import NotAFeedError, parse_feed

    chosen = parse_partners_option(partners)
    moment = parse_now(now)
    blockers = advice = broken = 0
    for source in feeds:
        try:
            feed = parse_feed(read_source(source))
        except (UnreadableFeedError, NotAFeedError) as exc:
            kind = "not a feed" if isinstance(exc, NotAFeedError) else "unreadable"
            click.secho(f"error: {source}: {kind}: {exc}", fg="red", err=True)
            broken += 1
            continue
        findings = check_feed(feed, source, moment, chosen)
        blockers += sum(finding.blocker for finding in findings)
        advice += sum(not finding.blocker for finding in findings)
        click.echo("\n".join(report_lines(source, feed, findings)))
    click.echo(f"{len(feeds)} feeds checked for {', '.join(chosen)}: {blockers} blockers, {advice} advice"
               + (f", {broken} unreadable" if broken else ""))  # fmt: skip
    if broken:
        sys.exit(2)
    if blockers:
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
