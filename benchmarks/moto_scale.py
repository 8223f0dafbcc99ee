"""Make in-process moto cost what DynamoDB costs for the calls feedpub makes, so that time per
upload measures feedpub rather than moto.

moto is a functional fake, not a performance model. Two of its costs grow with the table where
DynamoDB's do not, and at 100,000 articles (500,000 items) they take seconds per call:
- a Query on the table sorts *every* item of every partition, then filters by partition key
  (DynamoDB reads only the queried partition);
- TransactWriteItems deep-copies each table it touches first, to roll back on failure.
`partition_scoped_moto()` makes the Query read only its partition and the snapshot a no-op. Without
the snapshot a failed transaction would not roll back, so the patch counts cancelled transactions
and the benchmarks require that count to be zero (single-threaded runs never conflict).
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Cancelled:
    """How many transactions moto cancelled while patched (must stay 0)."""

    count = 0
    last = ""


@contextmanager
def partition_scoped_moto() -> Iterator[type[Cancelled]]:
    """Patch moto's Table.query and transact_write_items for the duration."""
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    original_query = Table.query
    original_transact = models.DynamoDBBackend.transact_write_items
    Cancelled.count = 0

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        # Table.query(hash_key, range_comparison, range_objs, limit, exclusive_start_key,
        #             scan_index_forward, projection_expressions, index_name, ...)
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name or hash_key is None:
            return original_query(self, hash_key, *args, **kwargs)
        partition = self.items.get(hash_key, {})
        self.all_items = lambda: list(partition.values())
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

    Table.query = query  # type: ignore[method-assign]
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    try:
        yield Cancelled
    finally:
        Table.query = original_query  # type: ignore[method-assign]
        models.DynamoDBBackend.transact_write_items = original_transact  # type: ignore[method-assign]
