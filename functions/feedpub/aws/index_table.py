"""The DynamoDB index: which article each object holds, and each feed's entries in feed order.

The ArticlesTable also holds the view counts (`aws/views_table.py`) and the hubs' ledger
(`aws/hub_ledger.py`); every item's key is spelled in `feedpub.names`. This adapter's items (pk / sk):
- `SRC#<key>` / `SRC`: what the object at <key> was last indexed as (id, feed entries, version).
- `ART#<id>` / `ART`: the article by id and the key that owns the id.
- `FEED#<feed>` / `<published UTC>#<id>`: one entry per feed an article is listed in, carrying
  the rendered article, so "newest N of feed F" is one strongly consistent Query. The entries of a
  month's archive (`FEED#month#YYYY-MM`) are slim instead: url, title, language and dates, all the
  sitemaps need, so a month's or the news sitemap's Query reads little.
- `PATH#<page path>` / `PATH`: which article a page path shows, for counting page views; never
  deleted, so an old URL of a moved article still counts for it (rankings skip deleted articles).
- `STATE` / `PUBLISH`: per-feed revision counters, what was last published, and the publish lock.

Every read on the hot path is a GetItem or a bounded Query: nothing scans the table or lists the
bucket, so an upload costs the same with a hundred or a million articles.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

from feedpub.article import Article
from feedpub.aws.clients import client, dynamo_key, error_code
from feedpub.feeds import (
    NEWS_WINDOW,
    entries_published_by,
    entries_published_since,
    is_month_feed,
    news_months,
)
from feedpub.names import (
    PUBLISH_STATE_ITEM,
    SOURCE_ITEM_PREFIX,
    article_item,
    feed_entry_item,
    feed_partition,
    path_item,
    source_item,
)
from feedpub.render.sitemaps import MAX_NEWS_URLS, SitemapEntry
from feedpub.views.counting import page_path

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        KeysAndAttributesUnionTypeDef,
        PutTypeDef,
        QueryInputTypeDef,
        ScanInputTypeDef,
        TransactWriteItemTypeDef,
        UpdateItemInputTypeDef,
    )

    Item = Mapping[str, AttributeValueTypeDef]
    """A DynamoDB item as the client reads and writes it: attribute values by name."""

STATE_KEY = dynamo_key(PUBLISH_STATE_ITEM)
MAX_PAYLOAD_BYTES = 300 * 1024
TOTAL = "rev_total"


class IdTakenError(Exception):
    """Another object already owns the article id."""

    def __init__(self, article_id: str, owner: str) -> None:
        super().__init__(f"{article_id!r} is owned by {owner}")
        self.article_id = article_id
        self.owner = owner


class ConcurrentChangeError(Exception):
    """The object's index entry changed under us; re-read and try again."""


class LockLostError(Exception):
    """The publish lock expired and was taken by another publisher."""


class PayloadTooLargeError(Exception):
    """The rendered article does not fit in a DynamoDB item."""


def encode_article(article: Article) -> bytes:
    """The article as compressed JSON; a DynamoDB item holds at most 400 KB."""
    payload = zlib.compress(json.dumps(article.to_dict(), ensure_ascii=False).encode(), 6)
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadTooLargeError(f"{len(payload) // 1024} KB compressed")
    return payload


def decode_article(payload: bytes) -> Article:
    """Inverse of `encode_article`."""
    return Article.from_dict(json.loads(zlib.decompress(payload)))


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the index last recorded for one object key."""

    key: str
    rev: int
    version: str = ""
    article_id: str = ""
    entries: tuple[tuple[str, str], ...] = ()
    """(feed, sort key) of every feed entry the object's article has."""
    reported: bool = False
    """A report object exists for this key and must be removed once the article is fine."""
    url: str = ""
    """The article's URL as indexed: a new base URL or URL template moves it (indexed again)."""

    @property
    def feeds(self) -> set[str]:
        """Feeds the object's article is listed in now."""
        return {feed for feed, _ in self.entries}


@dataclass
class PublishState:
    """Per-feed revision counters and the hashes of what is published, from the STATE item."""

    revs: dict[str, int] = field(default_factory=dict)
    done: dict[str, int] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    sitemaps: dict[str, str] = field(default_factory=dict)
    """`lastmod` of each month sitemap file written ('' once deleted): what the index lists."""
    total: int = 0
    """How many bumps ever: a publisher may release only if it is what it saw (see `finish`)."""
    lock_owner: str = ""
    lock_until: float = 0.0

    def dirty(self) -> set[str]:
        """Feeds changed since they were last published."""
        return {f for f, rev in self.revs.items() if rev > self.done.get(f, 0)}

    @classmethod
    def from_item(cls, item: Item) -> PublishState:
        """Read the STATE item's `rev:`, `done:` and `hash:` attributes."""
        state = cls()
        for name, value in item.items():
            kind, _, rest = name.partition(":")
            if kind == "rev":
                state.revs[rest] = int(value["N"])
            elif kind == "done":
                state.done[rest] = int(value["N"])
            elif kind == "hash":
                state.hashes[rest] = value["S"]
            elif kind == "sitemap":
                state.sitemaps[rest] = value["S"]
            elif name == TOTAL:
                state.total = int(value["N"])
            elif name == "lock_owner":
                state.lock_owner = value["S"]
            elif name == "lock_until":
                state.lock_until = float(value["N"])
        return state


SLIM_NAMES = {"#id": "article_id", "#url": "url", "#title": "title", "#language": "language",
              "#published": "published", "#modified": "modified"}  # fmt: skip
"""The attributes of a month archive's entry (as expression names: some are reserved words)."""


def _slim_fields(entry: SitemapEntry) -> dict[str, AttributeValueTypeDef]:
    """A month archive entry's attributes: what the sitemaps show, dates with their own offsets."""
    texts = {"article_id": entry.id, "url": entry.url, "title": entry.title, "language": entry.language,
             "published": entry.published.isoformat(), "modified": entry.modified.isoformat()}  # fmt: skip
    return {name: {"S": text} for name, text in texts.items()}


def _slim_entry(item: Item) -> SitemapEntry:
    """Inverse of `_slim_fields`."""
    return SitemapEntry(
        id=item["article_id"]["S"], url=item["url"]["S"], title=item["title"]["S"],
        language=item["language"]["S"], published=datetime.fromisoformat(item["published"]["S"]),
        modified=datetime.fromisoformat(item["modified"]["S"]),
    )  # fmt: skip


def _source_state(key: str, item: Item) -> SourceState:
    entries = (entry.split("|", 1) for entry in item.get("entries", {}).get("SS", []) if "|" in entry)
    return SourceState(
        key=key,
        rev=int(item["rev"]["N"]),
        version=item.get("version", {}).get("S", ""),
        article_id=item.get("article_id", {}).get("S", ""),
        entries=tuple(sorted((feed, sk) for feed, sk in entries)),
        reported=item.get("reported", {}).get("BOOL", False),
        url=item.get("url", {}).get("S", ""),
    )


def _names(prefix: str, keys: Iterable[str]) -> dict[str, str]:
    return {f"#{prefix}{i}": key for i, key in enumerate(keys)}


def _progress(
    done: dict[str, int], hashes: dict[str, str], sitemaps: Mapping[str, str] | None = None
) -> tuple[list[str], dict[str, str], dict[str, AttributeValueTypeDef]]:
    """SET clauses, names and values recording published revisions, file hashes and month
    sitemaps' lastmods."""
    sets: list[str] = []
    names: dict[str, str] = {}
    values: dict[str, AttributeValueTypeDef] = {}
    for i, (feed, rev) in enumerate(done.items()):
        names[f"#d{i}"] = f"done:{feed}"
        values[f":d{i}"] = {"N": str(rev)}
        sets.append(f"#d{i} = :d{i}")
    for i, (key, digest) in enumerate(hashes.items()):
        names[f"#h{i}"] = f"hash:{key}"
        values[f":h{i}"] = {"S": digest}
        sets.append(f"#h{i} = :h{i}")
    for i, (key, lastmod) in enumerate((sitemaps or {}).items()):
        names[f"#s{i}"] = f"sitemap:{key}"
        values[f":s{i}"] = {"S": lastmod}
        sets.append(f"#s{i} = :s{i}")
    return sets, names, values


class _Action(Enum):
    """What one action of a commit's transaction does."""

    WRITE_SOURCE = "put or delete the SRC item (conditional on its rev)"
    CLAIM_ID = "put the ART item (conditional on the id being free or this key's)"
    PUT_PATH = "put the PATH item"
    PUT_ENTRY = "put a FEED entry"
    RELEASE_ID = "delete the ART item of the id the object no longer has (if this key's)"
    DELETE_ENTRY = "delete a FEED entry the article no longer has"


@dataclass
class _Transaction:
    """The actions of one TransactWriteItems, each with what it is: DynamoDB gives the reasons of
    a cancelled transaction by position, and this maps each back to its action."""

    actions: list[TransactWriteItemTypeDef] = field(default_factory=list)
    kinds: list[_Action] = field(default_factory=list)

    def add(self, kind: _Action, action: TransactWriteItemTypeDef) -> None:
        self.actions.append(action)
        self.kinds.append(kind)

    def failed_condition(self, exc: Exception, kind: _Action) -> bool:
        """Whether an action of `kind` failed its condition in the cancelled transaction `exc`."""
        reasons = getattr(exc, "response", {}).get("CancellationReasons", [])
        return any(
            action == kind and reason.get("Code", "") == "ConditionalCheckFailed"
            for action, reason in zip(self.kinds, reasons, strict=False)
        )


class ArticleIndex:
    """All reads and writes of the ArticlesTable."""

    def __init__(self, table_name: str, dynamodb: DynamoDBClient | None = None) -> None:
        self.table = table_name
        self.db = dynamodb or client("dynamodb")

    # -- ingest ---------------------------------------------------------------------------------

    def get_source(self, key: str) -> SourceState | None:
        """The recorded state of one object key (strongly consistent)."""
        response = self.db.get_item(
            TableName=self.table, Key=dynamo_key(source_item(key)), ConsistentRead=True
        )
        item = response.get("Item")
        return _source_state(key, item) if item else None

    def _source_put(
        self, key: str, previous: SourceState | None, fields: dict[str, AttributeValueTypeDef]
    ) -> TransactWriteItemTypeDef:
        item: dict[str, AttributeValueTypeDef] = {**dynamo_key(source_item(key)), "key": {"S": key}, **fields}
        item["rev"] = {"N": str((previous.rev if previous else 0) + 1)}
        put: PutTypeDef = {"TableName": self.table, "Item": item}
        if previous is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "rev = :rev"
            put["ExpressionAttributeValues"] = {":rev": {"N": str(previous.rev)}}
        return {"Put": put}

    def commit(
        self,
        key: str,
        previous: SourceState | None,
        article: Article | None,
        version: str,
        entries: Iterable[tuple[str, str]] = (),
    ) -> set[str]:
        """Make the index say that `key` holds `article` (None: nothing) with `entries` (feed, sort
        key), as the core's `feeds.index_entries` gives them, in one transaction.

        Returns the feeds whose entries changed. Raises ConcurrentChangeError when another
        invocation indexed the key first, IdTakenError when another key owns the id.
        """
        old_entries = set(previous.entries) if previous else set()
        new_entries = set(entries) if article else set()
        transaction = _Transaction()
        if article is not None:
            self._add_article(transaction, key, previous, article, version, new_entries)
        elif previous is not None:
            transaction.add(_Action.WRITE_SOURCE, self._source_delete(key, previous))
        else:
            return set()  # nothing indexed, nothing to index
        old_id = previous.article_id if previous else ""
        if old_id and (article is None or article.id != old_id):
            transaction.add(_Action.RELEASE_ID, self._release_id(key, old_id))
        for feed, sk in sorted(old_entries - new_entries):
            transaction.add(
                _Action.DELETE_ENTRY,
                {"Delete": {"TableName": self.table, "Key": dynamo_key(feed_entry_item(feed, sk))}},
            )
        try:
            self.db.transact_write_items(TransactItems=transaction.actions)
        except Exception as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            raise self._cancellation_error(exc, transaction, key, article) from None
        return {feed for feed, _ in old_entries | new_entries}

    def _add_article(
        self,
        transaction: _Transaction,
        key: str,
        previous: SourceState | None,
        article: Article,
        version: str,
        entries: set[tuple[str, str]],
    ) -> None:
        """The writes that index `article` at `key`: its SRC item, its id, its page path, its entries."""
        fields: dict[str, AttributeValueTypeDef] = {
            "version": {"S": version},
            "article_id": {"S": article.id},
            "url": {"S": article.url},
        }
        if entries:
            fields["entries"] = {"SS": sorted(f"{feed}|{sk}" for feed, sk in entries)}
        transaction.add(_Action.WRITE_SOURCE, self._source_put(key, previous, fields))
        payload = encode_article(article)
        transaction.add(
            _Action.CLAIM_ID,
            {"Put": {"TableName": self.table,
                     "Item": {**dynamo_key(article_item(article.id)),
                              "owner": {"S": key}, "payload": {"B": payload}},
                     "ConditionExpression": "attribute_not_exists(pk) OR #owner = :key",
                     "ExpressionAttributeNames": {"#owner": "owner"},
                     "ExpressionAttributeValues": {":key": {"S": key}}}},
        )  # fmt: skip
        transaction.add(
            _Action.PUT_PATH,
            {"Put": {"TableName": self.table,
                     "Item": {**dynamo_key(path_item(page_path(article.url))),
                              "article_id": {"S": article.id}, "section": {"S": article.section},
                              "owner": {"S": key}}}},
        )  # fmt: skip
        slim = _slim_fields(SitemapEntry.of(article))
        for feed, sk in sorted(entries):
            fields = slim if is_month_feed(feed) else {"payload": {"B": payload}}
            transaction.add(
                _Action.PUT_ENTRY,
                {"Put": {"TableName": self.table,
                         "Item": {**dynamo_key(feed_entry_item(feed, sk)),
                                  **fields, "owner": {"S": key}}}},
            )  # fmt: skip

    def _source_delete(self, key: str, previous: SourceState) -> TransactWriteItemTypeDef:
        return {"Delete": {"TableName": self.table, "Key": dynamo_key(source_item(key)),
                           "ConditionExpression": "rev = :rev",
                           "ExpressionAttributeValues": {":rev": {"N": str(previous.rev)}}}}  # fmt: skip

    def _release_id(self, key: str, old_id: str) -> TransactWriteItemTypeDef:
        return {"Delete": {"TableName": self.table, "Key": dynamo_key(article_item(old_id)),
                           "ConditionExpression": "attribute_not_exists(pk) OR #owner = :key",
                           "ExpressionAttributeNames": {"#owner": "owner"},
                           "ExpressionAttributeValues": {":key": {"S": key}}}}  # fmt: skip

    def _cancellation_error(
        self, exc: Exception, transaction: _Transaction, key: str, article: Article | None
    ) -> Exception:
        """Why a commit's transaction was cancelled: the id is another key's (its claim failed and
        the owner is someone else), else another invocation changed the key first."""
        if article is not None and transaction.failed_condition(exc, _Action.CLAIM_ID):
            owner = self.owner_of(article.id)
            if owner and owner != key:
                return IdTakenError(article.id, owner)
        return ConcurrentChangeError(key)

    def owner_of(self, article_id: str) -> str:
        """The key whose object owns an id ('' when none)."""
        response = self.db.get_item(
            TableName=self.table,
            Key=dynamo_key(article_item(article_id)),
            ConsistentRead=True,
            ProjectionExpression="#owner",
            ExpressionAttributeNames={"#owner": "owner"},
        )
        return str(response.get("Item", {}).get("owner", {}).get("S", ""))

    def mark_reported(self, key: str, previous: SourceState | None) -> None:
        """Record that a report object exists for `key`, without touching its index entry.

        Conditional on the entry's `rev` like every write of it, so that a rejection racing with
        the indexing of a newer, good version cannot leave a stale report behind.
        """
        values: dict[str, AttributeValueTypeDef] = {
            ":t": {"BOOL": True},
            ":key": {"S": key},
            ":next": {"N": str((previous.rev if previous else 0) + 1)},
        }
        kwargs: UpdateItemInputTypeDef = {
            "TableName": self.table,
            "Key": dynamo_key(source_item(key)),
            "UpdateExpression": "SET reported = :t, #key = :key, rev = :next",
            "ExpressionAttributeNames": {"#key": "key"},
            "ExpressionAttributeValues": values,
        }
        if previous is None:
            kwargs["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            kwargs["ConditionExpression"] = "rev = :rev"
            values[":rev"] = {"N": str(previous.rev)}
        try:
            self.db.update_item(**kwargs)
        except Exception as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise ConcurrentChangeError(key) from None
            raise

    def all_sources(self) -> dict[str, SourceState]:
        """Every SRC item, by key: a Scan, for audits only (never on the hot path)."""
        found: dict[str, SourceState] = {}
        kwargs: ScanInputTypeDef = {
            "TableName": self.table,
            "FilterExpression": "begins_with(pk, :src)",
            "ExpressionAttributeValues": {":src": {"S": SOURCE_ITEM_PREFIX}},
            "ConsistentRead": True,
        }
        while True:
            response = self.db.scan(**kwargs)
            for item in response.get("Items", []):
                state = _source_state(item["key"]["S"], item)
                found[state.key] = state
            if "LastEvaluatedKey" not in response:
                return found
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # -- feeds ----------------------------------------------------------------------------------

    def query_feed(self, feed: str, now: datetime, limit: int) -> list[Article]:
        """The newest `limit` entries of a feed published by `now`, newest first."""
        bound = entries_published_by(now)
        articles: list[Article] = []
        kwargs: QueryInputTypeDef = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND sk < :bound",
            "ExpressionAttributeValues": {":pk": {"S": feed_partition(feed)}, ":bound": {"S": bound}},
            "ScanIndexForward": False,
            "ConsistentRead": True,
            "ProjectionExpression": "payload",
        }
        while len(articles) < limit:
            kwargs["Limit"] = limit - len(articles)
            response = self.db.query(**kwargs)
            articles.extend(decode_article(item["payload"]["B"]) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return articles

    def query_month(self, feed: str, now: datetime) -> list[SitemapEntry]:
        """Every entry of a month's archive published by `now`, oldest first (paginated: a month
        of a busy site is a few hundred KB of slim items)."""
        return self._query_slim(
            "pk = :pk AND sk < :bound",
            {":pk": {"S": feed_partition(feed)}, ":bound": {"S": entries_published_by(now)}},
            newest_first=False,
        )

    def query_news(self, now: datetime) -> list[SitemapEntry]:
        """The entries of the news sitemap's window (published in the 48 hours up to `now`), newest
        first, at most 1,000: one bounded Query of this month's archive, and of the previous
        month's when the window reaches back into it."""
        entries: list[SitemapEntry] = []
        for feed in news_months(now):
            entries += self._query_slim(
                "pk = :pk AND sk BETWEEN :start AND :bound",
                {":pk": {"S": feed_partition(feed)},
                 ":start": {"S": entries_published_since(now - NEWS_WINDOW)},
                 ":bound": {"S": entries_published_by(now)}},
                newest_first=True, limit=MAX_NEWS_URLS - len(entries),
            )  # fmt: skip
            if len(entries) >= MAX_NEWS_URLS:
                break
        return entries

    def _query_slim(
        self, condition: str, values: Item, newest_first: bool, limit: int | None = None
    ) -> list[SitemapEntry]:
        """Slim entries matching a key condition, every page (up to `limit` entries)."""
        kwargs: QueryInputTypeDef = {
            "TableName": self.table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": not newest_first,
            "ConsistentRead": True,
            "ProjectionExpression": ", ".join(SLIM_NAMES),
            "ExpressionAttributeNames": SLIM_NAMES,
        }
        entries: list[SitemapEntry] = []
        while limit is None or len(entries) < limit:
            if limit is not None:
                kwargs["Limit"] = limit - len(entries)
            response = self.db.query(**kwargs)
            entries.extend(_slim_entry(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return entries

    def get_articles(self, ids: Iterable[str]) -> dict[str, Article]:
        """Articles by id (missing ids are left out), in batches of 100."""
        wanted = sorted(set(ids))
        found: dict[str, Article] = {}
        for start in range(0, len(wanted), 100):
            keys = [dynamo_key(article_item(i)) for i in wanted[start : start + 100]]
            request: Mapping[str, KeysAndAttributesUnionTypeDef] = {
                self.table: {"Keys": keys, "ProjectionExpression": "payload"}
            }
            while request:
                response = self.db.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.table, []):
                    article = decode_article(item["payload"]["B"])
                    found[article.id] = article
                request = response.get("UnprocessedKeys") or {}
        return found

    # -- publish state and lock -----------------------------------------------------------------

    def bump(self, feeds: Iterable[str]) -> None:
        """Count a change to each feed, after its entries were written (ADD is atomic)."""
        names = _names("r", (f"rev:{feed}" for feed in sorted(set(feeds))))
        if not names:
            return
        self.db.update_item(
            TableName=self.table,
            Key=STATE_KEY,
            UpdateExpression="ADD " + ", ".join(f"{n} :one" for n in [*names, "#total"]),
            ExpressionAttributeNames={**names, "#total": TOTAL},
            ExpressionAttributeValues={":one": {"N": "1"}},
        )

    def acquire(
        self, owner: str, now: float, seconds: float, bump: Iterable[str] = ()
    ) -> PublishState | None:
        """Count a change to each of `bump`, then take the publish lock unless a live publisher
        holds it; returns the state, or None when the lock is busy.

        With feeds to bump this is one unconditional UpdateItem: the count always lands (the
        holder sees it before it may release, see `finish`), and the lock is taken only if free.
        Only a lease left behind by a crashed publisher costs a second, conditional call.
        """
        names = _names("r", (f"rev:{feed}" for feed in sorted(set(bump))))
        if names:
            response = self.db.update_item(
                TableName=self.table,
                Key=STATE_KEY,
                UpdateExpression="ADD "
                + ", ".join(f"{n} :one" for n in [*names, "#total"])
                + " SET lock_owner = if_not_exists(lock_owner, :owner),"
                " lock_until = if_not_exists(lock_until, :until)",
                ExpressionAttributeNames={**names, "#total": TOTAL},
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":owner": {"S": owner},
                    ":until": {"N": f"{now + seconds:.3f}"},
                },
                ReturnValues="ALL_NEW",
            )
            state = PublishState.from_item(response["Attributes"])
            if state.lock_owner == owner:
                return state
            if state.lock_until >= now:
                return None  # a live publisher holds the lock and will see the bump
        try:
            response = self.db.update_item(
                TableName=self.table,
                Key=STATE_KEY,
                UpdateExpression="SET lock_owner = :owner, lock_until = :until",
                ConditionExpression="attribute_not_exists(lock_owner) OR lock_until < :now",
                ExpressionAttributeValues={
                    ":owner": {"S": owner},
                    ":until": {"N": f"{now + seconds:.3f}"},
                    ":now": {"N": f"{now:.3f}"},
                },
                ReturnValues="ALL_NEW",
            )
        except Exception as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return None
            raise
        return PublishState.from_item(response["Attributes"])

    def finish(
        self,
        owner: str,
        done: dict[str, int],
        hashes: dict[str, str],
        seen: PublishState,
        now: float,
        sitemaps: Mapping[str, str] | None = None,
    ) -> bool:
        """Record what was published and release the lock in one write, but only if no feed was
        bumped since `seen` was read and the lease still holds; False means: checkpoint, go round.
        """
        sets, names, values = _progress(done, hashes, sitemaps)
        values[":owner"] = {"S": owner}
        values[":now"] = {"N": f"{now:.3f}"}
        names["#total"] = TOTAL
        if seen.total:
            values[":total"] = {"N": str(seen.total)}
            unchanged = "#total = :total"
        else:
            unchanged = "attribute_not_exists(#total)"
        try:
            self.db.update_item(
                TableName=self.table,
                Key=STATE_KEY,
                UpdateExpression=("SET " + ", ".join(sets) + " " if sets else "")
                + "REMOVE lock_owner, lock_until",
                ConditionExpression=f"lock_owner = :owner AND lock_until > :now AND {unchanged}",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except Exception as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def checkpoint(
        self,
        owner: str,
        done: dict[str, int],
        hashes: dict[str, str],
        now: float,
        seconds: float,
        sitemaps: Mapping[str, str] | None = None,
    ) -> PublishState:
        """Record what was published and renew the lease, only while the lease still holds.

        Returns the fresh state; raises LockLostError when the lease ran out (another publisher
        may own the feeds now, and what was just written is re-rendered by it).
        """
        sets, names, values = _progress(done, hashes, sitemaps)
        values[":owner"] = {"S": owner}
        values[":now"] = {"N": f"{now:.3f}"}
        values[":until"] = {"N": f"{now + seconds:.3f}"}
        sets.append("lock_until = :until")
        kwargs: UpdateItemInputTypeDef = {
            "TableName": self.table,
            "Key": STATE_KEY,
            "ConditionExpression": "lock_owner = :owner AND lock_until > :now",
            "ExpressionAttributeValues": values,
            "ReturnValues": "ALL_NEW",
            "UpdateExpression": "SET " + ", ".join(sets),
        }
        if names:
            kwargs["ExpressionAttributeNames"] = names
        try:
            response = self.db.update_item(**kwargs)
        except Exception as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise LockLostError(owner) from None
            raise
        return PublishState.from_item(response["Attributes"])

    def release(self, owner: str) -> PublishState:
        """Give the lock back; returns the state as it is now, to catch changes that came meanwhile."""
        try:
            response = self.db.update_item(
                TableName=self.table,
                Key=STATE_KEY,
                UpdateExpression="REMOVE lock_owner, lock_until",
                ConditionExpression="lock_owner = :owner",
                ExpressionAttributeValues={":owner": {"S": owner}},
                ReturnValues="ALL_NEW",
            )
        except Exception as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise LockLostError(owner) from None
            raise
        return PublishState.from_item(response["Attributes"])

    def publish_state(self) -> PublishState:
        """The STATE item as it is (strongly consistent), for the scheduled run and audits."""
        response = self.db.get_item(TableName=self.table, Key=STATE_KEY, ConsistentRead=True)
        return PublishState.from_item(response.get("Item", {}))
