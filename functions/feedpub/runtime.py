"""The objects a Lambda handler needs, built once per execution environment from its variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from feedpub.aws.articles_bucket import ArticlesBucket
from feedpub.aws.index_table import ArticleIndex
from feedpub.aws.site_bucket import SiteBucket
from feedpub.config import SiteConfig
from feedpub.ingest import Ingestor
from feedpub.publish import Publisher


@dataclass(frozen=True)
class Runtime:
    """Everything wired: config, adapters and the two services built on them."""

    config: SiteConfig
    articles: ArticlesBucket
    index: ArticleIndex
    site: SiteBucket
    ingestor: Ingestor
    publisher: Publisher


def build_runtime(environ: Mapping[str, str], config: SiteConfig | None = None) -> Runtime:
    """Wire the runtime from template variables (ARTICLES_BUCKET, SITE_BUCKET, TABLE_NAME, FEEDPUB_*).

    `config` replaces the FEEDPUB_* settings (the command line reads them from a file).
    """
    missing = [name for name in ("ARTICLES_BUCKET", "SITE_BUCKET", "TABLE_NAME") if not environ.get(name)]
    if missing:
        raise RuntimeError(f"missing environment variable(s): {', '.join(missing)}")
    config = config or SiteConfig.from_env(environ)
    articles = ArticlesBucket(environ["ARTICLES_BUCKET"])
    index = ArticleIndex(environ["TABLE_NAME"])
    site = SiteBucket(environ["SITE_BUCKET"], config.cache_control)
    lock_seconds = float(environ.get("LOCK_SECONDS", "90"))
    return Runtime(
        config=config,
        articles=articles,
        index=index,
        site=site,
        ingestor=Ingestor(articles, index, config),
        publisher=Publisher(index, site, config, lock_seconds),
    )


@cache
def runtime() -> Runtime:
    """The process-wide runtime, built on first use (not at import, so tests can set variables)."""
    return build_runtime(os.environ)
