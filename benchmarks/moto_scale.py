"""Make in-process moto cost what DynamoDB costs for the calls feedpub makes, so that time per
upload measures feedpub rather than moto.

moto is a functional fake, not a performance model. Two of its costs grow with the table where
DynamoDB's do not, and at 100,000 articles (500,000 items) they take seconds per call:
- a Query on the table sorts *every* item of every partition, then filters by partition key
  (DynamoDB reads only the queried partition, and in it only the `Limit` items next to the key
  condition's bound, walking its sorted index; the patch keeps each partition's keys sorted);
- TransactWriteItems deep-copies each table it touches first, to roll back on failure.
`partition_scoped_moto()` makes the Query read only its partition and the snapshot a no-op. Without
the snapshot a failed transaction would not roll back, so the patch counts cancelled transactions
and the benchmarks require that count to be zero (single-threaded runs never conflict).
"""

from __future__ import annotations

import bisect
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Cancelled:
    """How many transactions moto cancelled while patched (must stay 0)."""

    count = 0
    last = ""


_SORTED: dict[tuple[int, str], tuple[set[str], list[str]]] = {}
"""Per (table, partition key): its sort keys as a set and as a sorted list, kept by put/delete."""


def _added(table: Any, hash_value: str, range_value: str) -> None:
    known, ordered = _SORTED.setdefault((id(table), hash_value), (set(), []))
    if range_value not in known:
        known.add(range_value)
        bisect.insort(ordered, range_value)


def _removed(table: Any, hash_value: str, range_value: str) -> None:
    known, ordered = _SORTED.get((id(table), hash_value), (set(), []))
    if range_value in known:
        known.discard(range_value)
        del ordered[bisect.bisect_left(ordered, range_value)]


def _candidates(table: Any, hash_key: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
    """The items a limited, descending `sk < bound` Query can return: DynamoDB walks its sorted
    index from the bound, where moto sorts the whole partition; the put/delete hooks keep each
    partition's sort keys sorted, so this takes the `Limit` keys below the bound directly."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    partition = table.items.get(hash_key, {})
    names = ("range_comparison", "range_objs", "limit", "exclusive_start_key", "scan_index_forward")
    given = dict(zip(names, args, strict=False)) | {k: v for k, v in kwargs.items() if k in names}
    simple = given.get("range_comparison") == "<" and not given.get("exclusive_start_key")
    if not (simple and given.get("limit") and given.get("scan_index_forward") is False):
        return list(partition.values())
    _, ordered = _SORTED.get((id(table), hash_key.value), (set(), []))
    end = bisect.bisect_left(ordered, given["range_objs"][0].value)
    picked = ordered[max(0, end - given["limit"]) : end]
    return [partition[DynamoType({table.range_key_type: value})] for value in picked]


@contextmanager
def partition_scoped_moto() -> Iterator[type[Cancelled]]:
    """Patch moto's Table.query and transact_write_items for the duration."""
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    original_query = Table.query
    original_put = Table.put_item
    original_delete = Table.delete_item
    original_transact = models.DynamoDBBackend.transact_write_items
    Cancelled.count = 0

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        # Table.query(hash_key, range_comparison, range_objs, limit, exclusive_start_key,
        #             scan_index_forward, projection_expressions, index_name, ...)
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name or hash_key is None:
            return original_query(self, hash_key, *args, **kwargs)
        self.all_items = lambda: _candidates(self, hash_key, args, kwargs)
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = models.copy
        models.copy = types.SimpleNamespace(deepcopy=lambda obj, memo=None: obj)  # type: ignore[assignment]
        try:
            original_transact(self, transact_items)
        except Exception as exc:
            Cancelled.count += 1
            Cancelled.last = repr(exc)
            raise
        finally:
            models.copy = saved

    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = original_put(self, *args, **kwargs)
        if self.range_key_attr:
            assert item.range_key is not None
            _added(self, item.hash_key.value, item.range_key.value)
        return item

    def delete_item(self: Any, hash_key: Any, range_key: Any) -> Any:
        item = original_delete(self, hash_key, range_key)
        if item is not None and range_key is not None:
            _removed(self, hash_key.value, range_key.value)
        return item

    _SORTED.clear()
    Table.query = query  # type: ignore[method-assign]
    Table.put_item = put_item  # type: ignore[method-assign]
    Table.delete_item = delete_item  # type: ignore[method-assign]
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    try:
        yield Cancelled
    finally:
        Table.query = original_query  # type: ignore[method-assign]
        Table.put_item = original_put  # type: ignore[method-assign]
        Table.delete_item = original_delete  # type: ignore[method-assign]
        models.DynamoDBBackend.transact_write_items = original_transact  # type: ignore[method-assign]
        _SORTED.clear()
