"""The objects a Lambda handler needs, built once per execution environment from its variables.

Each piece is built on first use and asks only for the variables it needs, so a function gets
exactly the environment (and IAM) its code uses. The ingest pieces are imported when first built,
too: reading articles (YAML front matter) is code only the ingest function runs, and the others
should not load it at their cold start (see benchmarks/cold_start.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache, cached_property
from typing import TYPE_CHECKING

from feedpub.aws.index_table import ArticleIndex
from feedpub.aws.logs_bucket import LogsBucket
from feedpub.aws.site_bucket import SiteBucket
from feedpub.aws.views_table import ViewCounts
from feedpub.config import SiteConfig
from feedpub.most_viewed import MostViewedPublisher
from feedpub.publish import Publisher

if TYPE_CHECKING:
    from feedpub.announce import Announcer, Notifier
    from feedpub.aws.articles_bucket import ArticlesBucket
    from feedpub.aws.ingest_queue import IngestQueue
    from feedpub.aws.ping_queue import PingQueue
    from feedpub.ingest import Ingestor

TRACED_MODULES = ("botocore",)
"""What the handlers' Tracer patches for X-Ray: every AWS call goes through botocore and the
functions do no other I/O. Powertools' default (`patch_all`) would also import, only to patch
them, whichever of requests, sqlite3, httpx ... happen to be installed."""


class Runtime:
    """Config, adapters and the services built on them, wired from environment variables."""

    def __init__(self, environ: Mapping[str, str], config: SiteConfig | None = None) -> None:
        self.environ = dict(environ)
        self._config = config

    def _require(self, name: str) -> str:
        value = self.environ.get(name)
        if not value:
            raise RuntimeError(f"missing environment variable {name}")
        return value

    @cached_property
    def config(self) -> SiteConfig:
        """The site settings (FEEDPUB_* variables unless given)."""
        return self._config or SiteConfig.from_env(self.environ)

    @cached_property
    def articles(self) -> ArticlesBucket:
        """The editors' bucket (ARTICLES_BUCKET)."""
        from feedpub.aws.articles_bucket import ArticlesBucket

        return ArticlesBucket(self._require("ARTICLES_BUCKET"))

    @cached_property
    def index(self) -> ArticleIndex:
        """The ArticlesTable (TABLE_NAME)."""
        return ArticleIndex(self._require("TABLE_NAME"))

    @cached_property
    def ingest_queue(self) -> IngestQueue:
        """The ingest function's own queue (INGEST_QUEUE_URL), for publish requests."""
        from feedpub.aws.ingest_queue import IngestQueue

        return IngestQueue(self._require("INGEST_QUEUE_URL"))

    @cached_property
    def site(self) -> SiteBucket:
        """The public site's bucket (SITE_BUCKET)."""
        return SiteBucket(self._require("SITE_BUCKET"), self.config.cache_control)

    @cached_property
    def logs(self) -> LogsBucket:
        """Reads delivered access logs (the bucket comes with each event)."""
        return LogsBucket()

    @cached_property
    def views(self) -> ViewCounts:
        """View counts, in the same table."""
        return ViewCounts(self._require("TABLE_NAME"))

    @cached_property
    def ingestor(self) -> Ingestor:
        """Indexes article keys."""
        from feedpub.ingest import Ingestor

        return Ingestor(self.articles, self.index, self.config)

    @cached_property
    def publisher(self) -> Publisher:
        """Publishes the feeds under the lock (LOCK_SECONDS, default 90)."""
        return Publisher(self.index, self.site, self.config, float(self.environ.get("LOCK_SECONDS", "90")))

    @cached_property
    def ping_queue(self) -> PingQueue:
        """Announcements waiting for the ping function (PING_QUEUE_URL)."""
        from feedpub.aws.ping_queue import PingQueue

        return PingQueue(self._require("PING_QUEUE_URL"))

    @cached_property
    def announcer(self) -> Announcer:
        """Queues WebSub announcements of the feeds a publish wrote (nothing when push is off)."""
        from feedpub.announce import Announcer

        return Announcer(self.ping_queue if self.config.websub_hubs else None, self.config)

    @cached_property
    def notifier(self) -> Notifier:
        """Delivers announcements to the hubs, remembering what each accepted in the table."""
        from feedpub.announce import Notifier
        from feedpub.aws.hub_ledger import DynamoHubLedger
        from feedpub.hub_client import HubClient

        return Notifier(HubClient(), DynamoHubLedger(self._require("TABLE_NAME")), self.config)

    @cached_property
    def most_viewed(self) -> MostViewedPublisher:
        """Publishes the most-viewed feeds."""
        return MostViewedPublisher(self.views, self.index, self.site, self.config)


def build_runtime(environ: Mapping[str, str], config: SiteConfig | None = None) -> Runtime:
    """A runtime for these variables; `config` replaces the FEEDPUB_* settings."""
    return Runtime(environ, config)


@cache
def runtime() -> Runtime:
    """The process-wide runtime (built on first use, not at import, so tests can set variables)."""
    return Runtime(os.environ)
