"""Log lines for the failures that send messages back to their queue.

A failed record goes back to its queue and, after the queue's maxReceiveCount receives, to its
dead-letter queue; an invocation that raises sends its whole batch back. Powertools' batch
processor logs neither, so without these lines a dead-lettered record would say nothing of why.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from feedpub.aws.clients import error_code

Handler = TypeVar("Handler", bound=Callable[..., Any])


def _reason(exc: BaseException) -> str:
    """The AWS error code, or the exception's type for anything else."""
    return (error_code(exc) if isinstance(exc, Exception) else "") or type(exc).__name__


@contextmanager
def record_failure_logged(logger: Logger, record: SQSRecord, message: str, **keys: str) -> Iterator[None]:
    """Put `keys` on every line logged inside; if the block raises, log `message` as a warning with
    the exception and how many times the message was received, then let the record fail."""
    logger.append_keys(**keys)
    try:
        yield
    except Exception as exc:
        logger.warning(
            message,
            exc_info=True,
            reason=_reason(exc),
            receive_count=int(record.attributes.approximate_receive_count or 0),
            message_id=record.message_id,
        )
        raise
    finally:
        logger.remove_keys(list(keys))


def invocation_failure_logged(logger: Logger, message: str) -> Callable[[Handler], Handler]:
    """Log `message` as an error with the exception when the handler raises (every record of the
    batch then goes back to its queue); a batch whose records all failed was logged record by record."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def logged(*args: Any, **kwargs: Any) -> Any:
            try:
                return handler(*args, **kwargs)
            except BatchProcessingError:
                raise
            except Exception as exc:
                logger.error(message, exc_info=True, reason=_reason(exc))
                raise

        return logged  # type: ignore[return-value]

    return decorate
