"""Results of aggregates over the whole portfolio, reused until the data changes.

Pages that summarise every measure (dashboard, coverage, ranking, agenda coverage) would
otherwise grow with the portfolio on every view. Their results are kept here, in the worker
process, under the **data generation**: a counter that every committed transaction changing
audited data raises (``services/common/audit.py``). A result computed at generation *g* is
used only while the database is at *g*; the first request after any change recomputes it.
So a cached figure is never older than the data the request would read itself.

Rules for callers:

* Cache plain values (numbers, tuples, dataclasses of those), never ORM objects: they belong
  to one database session.
* The key must contain everything the result depends on, including the user's reading scope
  (``measures.rules.visibility_scope``), never the user object itself.
* Cached values are shared between requests: treat them as read-only.

The store is bounded (``MAX_ENTRIES`` results, least recently used dropped first), so worker
memory does not grow with the number of filter combinations. Writers that bypass the ORM must
call ``audit.mark_data_changed`` (bulk import and synthetic data do). The generation starts at
a random value whenever its row is created, so an emptied and refilled database never meets a
result cached for other data; a restored backup brings back its generation together with
exactly the data it had then.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

from steuerung.extensions import db
from steuerung.services.common.audit import data_generation

T = TypeVar("T")

#: At most this many results are kept per worker process.
MAX_ENTRIES = 256
#: ``session.info`` key of the generation read in the current transaction.
_INFO_KEY = "cache_generation"

_lock = threading.Lock()
_store: OrderedDict[tuple[str, Hashable], tuple[int, Any]] = OrderedDict()
_stats = {"hits": 0, "misses": 0}


def generation() -> int:
    """The data generation, read once per transaction (so a page costs one extra query)."""
    session = db.session
    info = session.info
    if _INFO_KEY not in info:
        info[_INFO_KEY] = data_generation(session)
    return int(info[_INFO_KEY])


@event.listens_for(Session, "after_transaction_end")
def _forget_generation(session: Session, transaction: Any) -> None:
    # The next transaction may see a newer generation.
    if transaction.parent is None:
        session.info.pop(_INFO_KEY, None)


def cached(namespace: str, key: Hashable, compute: Callable[[], T]) -> T:
    """The result of ``compute()`` for ``(namespace, key)`` at the current data generation."""
    current = generation()
    full_key = (namespace, key)
    with _lock:
        found = _store.get(full_key)
        if found is not None and found[0] == current:
            _store.move_to_end(full_key)
            _stats["hits"] += 1
            return found[1]
        _stats["misses"] += 1
    value = compute()
    with _lock:
        _store[full_key] = (current, value)
        _store.move_to_end(full_key)
        while len(_store) > MAX_ENTRIES:
            _store.popitem(last=False)
    return value


def clear() -> None:
    """Forget every result (tests between cases, after a restore in this process)."""
    with _lock:
        _store.clear()


def stats() -> dict[str, int]:
    """Hits, misses and the number of results held (for the benchmark)."""
    with _lock:
        return {**_stats, "entries": len(_store)}
