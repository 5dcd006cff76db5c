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

Aggregates that add up over measures are in addition kept per block of measure ids
(:func:`summed_by_block`, :func:`top_by_block`, :func:`by_block`, see below): after an edit of
one measure only its block is read again, so the first view after a change does not grow
with the portfolio either.

The store is bounded (``MAX_ENTRIES`` results, least recently used dropped first), so worker
memory does not grow with the number of filter combinations. Writers that bypass the ORM must
call ``audit.mark_data_changed`` (bulk import and synthetic data do). The generation starts at
a random value whenever its row is created, so an emptied and refilled database never meets a
result cached for other data; a restored backup brings back its generation together with
exactly the data it had then.
"""

from __future__ import annotations

import heapq
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar, cast

from flask import has_app_context
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    bindparam,
    event,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session

from steuerung.extensions import db
from steuerung.models import Measure
from steuerung.services.common.audit import (
    ALL_GROUPS,
    BLOCK_SIZE,
    PARTS_PER_BLOCK,
    SHARED_PART,
    data_generation,
    part_generations,
)

#: The shared parts of an aggregate that reads only the measures' own rows (``audit.parts_of``).
SHARED: tuple[int, ...] = (SHARED_PART,)

T = TypeVar("T")

#: At most this many results are kept per worker process.
MAX_ENTRIES = 256
#: ``session.info`` key of the generation read in the current transaction.
_INFO_KEY = "cache_generation"

_lock = threading.Lock()
_store: OrderedDict[tuple[str, Hashable], tuple[Hashable, Any]] = OrderedDict()
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


def cached(
    namespace: str,
    key: Hashable,
    compute: Callable[[], T],
    *,
    parts: tuple[int, ...] | None = None,
    reads: tuple[int, ...] = ALL_GROUPS,
) -> T:
    """The result of ``compute()`` for ``(namespace, key)`` at the current data generation.

    Computed once per worker process and generation: threads that miss the same key at the
    same time wait for the first one's result instead of computing it again (after a change,
    several requests for the same dashboard would otherwise all do the work at once).

    ``parts``: the result depends only on these parts (``audit.shared_parts`` and the parts
    of line money, actuals ...) and on the groups ``reads`` of every block's measure data,
    not on every change: it is kept while their generations stand (a status report leaves
    the coverage table alone). Name every table ``compute`` reads, also through the block
    aggregates it calls.
    """
    if _uncommitted_changes():
        return compute()
    current = generation() if parts is None else _stamp(parts, reads)
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


def _stamp(parts: tuple[int, ...], reads: tuple[int, ...]) -> Hashable:
    """The generations a result with declared dependencies is valid for."""
    generations = _part_generations()
    return (
        tuple(generations.get(part, 0) for part in parts),
        tuple(sorted(_block_generations(reads).items())),
    )


def _uncommitted_changes() -> bool:
    """True inside a transaction that has written audited data not yet committed: its reads
    must see its own changes, which no stored result (keyed by committed generations)
    holds, and what it computes must not be stored (it may still be rolled back)."""
    return has_app_context() and bool(db.session.info.get("data_changed"))


def _lookup(full_key: tuple[str, Hashable], current: Hashable, count: bool = True) -> Any:
    """The stored result for ``full_key`` at generation (or stamp) ``current``, else ``_MISS``."""
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
        _block_store.clear()


def stats() -> dict[str, int]:
    """Hits, misses and the number of results held (for the benchmark)."""
    with _lock:
        return {**_stats, "entries": len(_store), "block_entries": len(_block_store)}


# --------------------------------------------------------------------------------------
# Aggregates kept per block of measures
#
# A page's cached result above is recomputed in full after any change. The aggregates that
# add up over measures (demand per line and year, counts per goal, department or light)
# are also kept *per block* of measure ids (``BLOCK_SIZE`` consecutive ids): a change to
# one measure raises only its block's part generation (``audit._note_changes``), so the
# next reader recomputes that block (a ``BETWEEN`` on the measure id, served by the
# primary key or the measure-id index of the child table) and corrects the totals by the
# block's difference. Any change that does not belong to one measure (a budget line, a
# goal, a user, a bulk import) raises the shared part and the next reader recomputes all.
#
# Block aggregates may read the rows of their measures (the measure, its cost plan, goal
# links, reports, scores) and the shared tables they name (``audit.shared_parts``): a change
# there recomputes them in full. A block's data is split into groups with a part each
# (``audit.CORE``, ``TEXT``: title and other free texts, ``REPORTS``: status reports and the
# date of the latest); an aggregate names the groups it ``reads`` (all unless named), so a
# new title reads no counts again and a status report only what shows lights or overdue
# reports. An aggregate that names too few groups would show stale figures: name a group
# whenever the query selects, filters or orders by one of its columns.

#: At most this many block aggregates are kept per worker (each holds a part per block).
MAX_BLOCK_ENTRIES = 64
#: Writers raise the part of a block of ``BLOCK_SIZE`` ids; an aggregate reads and keeps its
#: parts per *reading block* of ``span`` such blocks, chosen when it is computed in full so
#: that there are about this many reading blocks whatever the size of the portfolio. Small
#: blocks make a re-read after a few edits cheap; many blocks make a full computation and the
#: memory of the parts grow (at 100,000 measures 782 blocks of 128 ids doubled the first
#: dashboard after a bulk import, 2.2 -> 4.2 s). 10,000 measures: 79 blocks of 128 ids;
#: 100,000: 87 blocks of 1,152.
TARGET_BLOCKS = 96
#: Above this share of changed blocks, recomputing everything in one query is cheaper.
FULL_RECOMPUTE_SHARE = 0.75

_PARTS_INFO_KEY = "cache_part_generations"
_BLOCKS_INFO_KEY = "cache_block_generations"


@dataclass(frozen=True)
class Blocks:
    """Which measures a block aggregate reads now: all of them, or some blocks of ids;
    ``size`` ids per (reading) block."""

    ids: tuple[int, ...] | None = None
    size: int = BLOCK_SIZE

    def of(self, measure_id: Any) -> ColumnElement[int]:
        """SQL: the block of a measure id (integer division on SQLite and PostgreSQL)."""
        return cast(ColumnElement[int], measure_id // literal_column(str(int(self.size)), Integer))

    def only(self, measure_id: Any) -> list[ColumnElement[bool]]:
        """SQL conditions keeping the measure ids of these blocks (id ranges, so indexes
        serve them); none when all are read."""
        if self.ids is None:
            return []
        ranges: list[list[int]] = []
        for block in sorted(self.ids):
            if ranges and ranges[-1][1] == block - 1:
                ranges[-1][1] = block
            else:
                ranges.append([block, block])
        # Bounds written into the SQL when it is sent, not parameters: a prepared
        # statement's generic plan (PostgreSQL after five runs) would not know how narrow the
        # range is and read every row. Not literals in the statement either: every set of
        # blocks would be a new statement to compile (about 1.3 ms each, eleven per dashboard
        # after a change); this way the compiled form is reused per number of ranges.
        return [
            or_(
                *(
                    measure_id.between(
                        _sent_literal(first * self.size),
                        _sent_literal((last + 1) * self.size - 1),
                    )
                    for first, last in ranges
                )
            )
        ]


def _sent_literal(value: int) -> BindParameter[int]:
    """An integer the driver receives inside the SQL text (rendered after the statement
    cache), so the database plans with the value itself."""
    return bindparam(None, int(value), type_=Integer, literal_execute=True)


@dataclass(frozen=True)
class _BlockEntry:
    shared: tuple[int, ...]
    span: int
    generations: dict[int, tuple[int, ...]]
    parts: dict[int, Any]
    state: Any
    value: Any


_block_store: OrderedDict[tuple[str, Hashable], _BlockEntry] = OrderedDict()


def _part_generations() -> dict[int, int]:
    """The part generations, read once per transaction."""
    info = db.session.info
    if _PARTS_INFO_KEY not in info:
        info[_PARTS_INFO_KEY] = part_generations(db.session)
    return cast(dict[int, int], info[_PARTS_INFO_KEY])


def _block_generations(groups: tuple[int, ...], span: int = 1) -> dict[int, tuple[int, ...]]:
    """Per reading block of ``span`` blocks the generations of its parts of ``groups``
    (``audit.CORE``, ``TEXT``, ``REPORTS``), summed over its blocks (generations only rise,
    so a sum moves whenever one of them does); built once per transaction, groups and span."""
    info = db.session.info.setdefault(_BLOCKS_INFO_KEY, {})
    if (groups, span) not in info:
        found: dict[int, list[int]] = {}
        for part, value in _part_generations().items():
            if part >= 0:
                block, group = divmod(part, PARTS_PER_BLOCK)
                if group in groups:
                    sums = found.setdefault(block // span, [0] * len(groups))
                    sums[groups.index(group)] += value
        info[(groups, span)] = {block: tuple(values) for block, values in found.items()}
    return cast(dict[int, tuple[int, ...]], info[(groups, span)])


def _span() -> int:
    """How many blocks a reading block holds now: about ``TARGET_BLOCKS`` reading blocks
    up to the highest measure id (read when an aggregate is computed in full)."""
    highest = db.session.scalar(select(func.max(Measure.id))) or 0
    return max(1, -(-(highest + 1) // (BLOCK_SIZE * TARGET_BLOCKS)))


@event.listens_for(Session, "after_transaction_end")
def _forget_part_generations(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_PARTS_INFO_KEY, None)
        session.info.pop(_BLOCKS_INFO_KEY, None)


def _changed_blocks(
    entry: _BlockEntry | None, shared: tuple[int, ...], reads: tuple[int, ...]
) -> Any:
    """The reading blocks whose generations moved since ``entry`` was computed; None:
    recompute all."""
    if entry is None or entry.shared != shared:
        return None
    blocks = _block_generations(reads, entry.span)
    known = entry.generations
    return {b for b in known.keys() | blocks.keys() if known.get(b) != blocks.get(b)}


def by_block(
    namespace: str,
    key: Hashable,
    compute: Callable[[Blocks], dict[int, Any]],
    combine: Callable[[Any, list[Any], list[Any], dict[int, Any]], tuple[Any, Any]],
    shared_parts: tuple[int, ...] = SHARED,
    reads: tuple[int, ...] = ALL_GROUPS,
) -> Any:
    """A result combined from parts per block of measures, recomputing only changed blocks.

    ``compute(blocks)`` returns the part of every block that has rows among ``blocks``;
    ``combine(state, removed, added, parts)`` returns ``(state, value)``: from the previous
    state (None the first time) minus the parts ``removed`` plus the parts ``added``, or
    from all ``parts``. ``shared_parts``: the shared data it reads besides the measures'
    (``audit.parts_of``); a change there recomputes everything. ``reads``: the groups of
    measure data it reads (``audit.CORE``, ``TEXT``, ``REPORTS``; all unless named): a change
    to another group (say, a title) reads no block again. The value is shared between
    requests: read-only.
    """
    if _uncommitted_changes():
        parts = compute(Blocks())
        return combine(None, [], list(parts.values()), parts)[1]
    generations = _part_generations()
    shared = tuple(generations.get(part, 0) for part in shared_parts)
    full_key = (namespace, key)
    entry = _block_store.get(full_key)  # one read of the dict; checked again below
    if entry is not None and _changed_blocks(entry, shared, reads) == set():
        with _lock:
            if full_key in _block_store:
                _block_store.move_to_end(full_key)
            _stats["hits"] += 1
        return entry.value
    with _lock:
        _stats["misses"] += 1
        key_lock = _key_locks.setdefault(full_key, threading.RLock())
    with key_lock:
        with _lock:
            entry = _block_store.get(full_key)
        changed = _changed_blocks(entry, shared, reads)
        if entry is not None and changed == set():
            return entry.value
        if (
            entry is None
            or changed is None
            or len(changed) > max(2, FULL_RECOMPUTE_SHARE * len(entry.parts.keys() | changed))
        ):
            span = _span()
            parts = compute(Blocks(size=BLOCK_SIZE * span))
            state, value = combine(None, [], list(parts.values()), parts)
        else:
            span = entry.span
            fresh = compute(Blocks(tuple(sorted(changed)), size=BLOCK_SIZE * span))
            parts = dict(entry.parts)
            removed = [parts.pop(b) for b in changed if b in parts]
            added = [fresh[b] for b in changed if b in fresh]
            parts.update({b: fresh[b] for b in changed if b in fresh})
            state, value = combine(entry.state, removed, added, parts)
        blocks = _block_generations(reads, span)
        with _lock:
            _block_store[full_key] = _BlockEntry(shared, span, blocks, parts, state, value)
            _block_store.move_to_end(full_key)
            while len(_block_store) > MAX_BLOCK_ENTRIES:
                dropped, _ = _block_store.popitem(last=False)
                _key_locks.pop(dropped, None)
    return value


def _plus(a: Any, b: Any, sign: int) -> Any:
    if b is None:
        return a
    if a is None:
        return b if sign > 0 else -b
    return a + b if sign > 0 else a - b


def summed_by_block(
    namespace: str,
    key: Hashable,
    rows: Callable[[Blocks], Any],
    keys: int,
    shared_parts: tuple[int, ...] = SHARED,
    reads: tuple[int, ...] = ALL_GROUPS,
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Totals per group of an additive aggregate (SUM, COUNT), kept per block of measures.

    ``rows(blocks)`` runs the grouped query for ``blocks``: each row is the block
    (``blocks.of(measure id)``, also in the GROUP BY), then ``keys`` group columns, then
    the sums (integers or decimals, not floats: totals are corrected by differences).
    Returns ``{group: sums}``; the order of groups is not defined.
    """

    def compute(blocks: Blocks) -> dict[int, dict[tuple[Any, ...], tuple[Any, ...]]]:
        parts: dict[int, dict[tuple[Any, ...], tuple[Any, ...]]] = {}
        for row in rows(blocks).all():
            group = tuple(row[1 : 1 + keys])
            values = tuple(row[1 + keys :])
            part = parts.setdefault(int(row[0]), {})
            if group in part:
                values = tuple(_plus(a, b, 1) for a, b in zip(part[group], values, strict=True))
            part[group] = values
        return parts

    def combine(
        state: Any, removed: list[Any], added: list[Any], parts: dict[int, Any]
    ) -> tuple[Any, Any]:
        # state: ({group: [number of contributing blocks, *sums]}, the value returned). Both
        # are shared with readers of the previous result, so only the groups of the changed
        # blocks are copied: the work follows the change, not the number of groups (a full
        # copy per change cost the dashboard about 10 ms).
        totals: dict[tuple[Any, ...], list[Any]] = {} if state is None else dict(state[0])
        value: dict[tuple[Any, ...], tuple[Any, ...]] = {} if state is None else dict(state[1])
        own: set[tuple[Any, ...]] = set()  # groups whose list belongs to this call
        for sign, batch in ((-1, removed), (1, added)):
            for part in batch:
                for group, values in part.items():
                    total = totals.get(group)
                    if total is None:
                        total = totals[group] = [0, *(None for _ in values)]
                        own.add(group)
                    elif group not in own:
                        total = totals[group] = list(total)
                        own.add(group)
                    total[0] += sign
                    for i, item in enumerate(values, start=1):
                        total[i] = _plus(total[i], item, sign)
                    if total[0] == 0:
                        del totals[group]
        for group in own:
            found = totals.get(group)
            if found is None:
                value.pop(group, None)
            else:
                value[group] = tuple(found[1:])
        return (totals, value), value

    return cast(
        dict[tuple[Any, ...], tuple[Any, ...]],
        by_block(namespace, key, compute, combine, shared_parts, reads),
    )


def _sort_key(pair: tuple[Any, Any]) -> Any:
    return pair[0]


def top_by_block(
    namespace: str,
    key: Hashable,
    rows: Callable[[Blocks], Any],
    *,
    limit: int | None,
    order: Callable[[Any], Any],
    groups: int = 0,
    shared_parts: tuple[int, ...] = SHARED,
    reads: tuple[int, ...] = ALL_GROUPS,
) -> dict[tuple[Any, ...], tuple[int, list[Any]]]:
    """Per group: how many rows, and the first ``limit`` of them in ``order`` (all with
    ``limit`` None), kept per block of measures.

    ``rows(blocks)`` runs the query for ``blocks``: each row starts with the block, then
    ``groups`` group columns, then the number of rows of its (block, group) and may hold
    only the first ``limit`` of each (block, group) in ``order`` (a ``ROW_NUMBER()``
    window): the first ``limit`` of a group are among the first ``limit`` of its blocks.
    ``order(row)`` is the sort key of a row (Python). After a change only the groups whose
    rows in the changed blocks differ are merged again. Returns ``{group: (count, rows)}``.
    """

    # With a ``limit`` a block's part holds per group (count, [(sort key, row), ...]) in
    # order: the key is computed once per row read, and the parts of all blocks are merged,
    # not sorted again (the council report's 400 of 10 blocks: 5,200 key calls per change
    # before). Without a limit (the whole ranking) the rows alone, sorted again when merged:
    # keeping a key per measure would cost memory, and sorting presorted runs is cheap.
    keyed = limit is not None

    def compute(blocks: Blocks) -> dict[int, dict[tuple[Any, ...], tuple[int, list[Any]]]]:
        parts: dict[int, dict[tuple[Any, ...], tuple[int, list[Any]]]] = {}
        for row in rows(blocks).all():
            group = tuple(row[1 : 1 + groups])
            part = parts.setdefault(int(row[0]), {})
            count, listed = part.setdefault(group, (int(row[1 + groups]), []))
            listed.append((order(row), row) if keyed else row)
        for part in parts.values():
            for _, listed in part.values():
                listed.sort(key=_sort_key if keyed else order)
                del listed[limit if limit is not None else len(listed) :]
        return parts

    def merged(group: tuple[Any, ...], parts: dict[int, Any]) -> tuple[int, list[Any]] | None:
        count, lists = 0, []
        for part in parts.values():
            found = part.get(group)
            if found is not None:
                count += found[0]
                lists.append(found[1])
        if not count:
            return None
        if keyed:
            firsts = islice(heapq.merge(*lists, key=_sort_key), limit)
            return count, [row for _, row in firsts]
        every = [row for listed in lists for row in listed]
        every.sort(key=order)
        return count, every

    def combine(
        state: Any, removed: list[Any], added: list[Any], parts: dict[int, Any]
    ) -> tuple[Any, Any]:
        if state is None:
            touched = {group for part in parts.values() for group in part}
            result: dict[tuple[Any, ...], tuple[int, list[Any]]] = {}
        else:
            result = dict(state)
            old = {g: v for part in removed for g, v in part.items()}
            new = {g: v for part in added for g, v in part.items()}
            touched = {g for g in old.keys() | new.keys() if old.get(g) != new.get(g)}
            if len(removed) > 1 or len(added) > 1:  # several blocks: compare per group
                touched = {g for part in (*removed, *added) for g in part}
        for group in touched:
            value = merged(group, parts)
            if value is None:
                result.pop(group, None)
            else:
                result[group] = value
        return result, result

    return cast(
        dict[tuple[Any, ...], tuple[int, list[Any]]],
        by_block(namespace, key, compute, combine, shared_parts, reads),
    )
