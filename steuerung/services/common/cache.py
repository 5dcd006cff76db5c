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
from typing import Any, TypeVar, cast

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
#: One lock per key: the first thread to miss computes, the others wait for its result.
_key_locks: dict[tuple[str, Hashable], threading.RLock] = {}
#: Marks "not stored" (``None`` may be a result).
_MISS = object()


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
    """The result of ``compute()`` for ``(namespace, key)`` at the current data generation.

    Computed once per worker process and generation: threads that miss the same key at the
    same time wait for the first one's result instead of computing it again (after a change,
    several requests for the same dashboard would otherwise all do the work at once).
    """
    current = generation()
    full_key = (namespace, key)
    found = _lookup(full_key, current)
    if found is not _MISS:
        return cast(T, found)
    with _lock:
        key_lock = _key_locks.setdefault(full_key, threading.RLock())
    with key_lock:
        found = _lookup(full_key, current, count=False)
        if found is not _MISS:
            return cast(T, found)
        value = compute()
        with _lock:
            _store[full_key] = (current, value)
            _store.move_to_end(full_key)
            while len(_store) > MAX_ENTRIES:
                dropped, _ = _store.popitem(last=False)
                _key_locks.pop(dropped, None)
    return value


def _lookup(full_key: tuple[str, Hashable], current: int, count: bool = True) -> Any:
    """The stored result for ``full_key`` at generation ``current``, else ``_MISS``."""
    with _lock:
        found = _store.get(full_key)
        if found is not None and found[0] == current:
            _store.move_to_end(full_key)
            _stats["hits"] += 1
            return found[1]
        if count:
            _stats["misses"] += 1
        return _MISS


def clear() -> None:
    """Forget every result (tests between cases, after a restore in this process)."""
    with _lock:
        _store.clear()
        _key_locks.clear()


def stats() -> dict[str, int]:
    """Hits, misses and the number of results held (for the benchmark)."""
    with _lock:
        return {**_stats, "entries": len(_store)}
