"""Aggregates cached until the data changes: never stale, bounded in memory. (Results kept
apart per reading scope: tests/test_agenda.py, a draft counts only for those who may read it.)"""

from __future__ import annotations

import re
from typing import Any

from steuerung.models import MeasureStatus
from steuerung.services.common import cache
from steuerung.services.common.audit import data_generation

S = MeasureStatus


def _tile_total(client: Any) -> int:
    html = client.get("/dashboard/").get_data(as_text=True)
    match = re.search(r'id="tile-total"[^>]*>\s*([\d.]+)', html)
    assert match, html[:500]
    return int(match.group(1).replace(".", ""))


def test_a_change_shows_at_once(db: Any, factory: Any, users: dict[str, Any], login_as: Any):
    dept = users["submitter"].department
    factory.measure(dept, S.APPROVED, "Erste")
    db.session.commit()
    client = login_as("coordinator")
    before = _tile_total(client)
    assert _tile_total(client) == before  # served again (from the cache)
    hits = cache.stats()["hits"]
    _tile_total(client)
    assert cache.stats()["hits"] > hits
    generation = data_generation(db.session)
    factory.measure(dept, S.IN_PROGRESS, "Zweite")
    db.session.commit()
    assert data_generation(db.session) == generation + 1
    assert _tile_total(client) == before + 1


def test_the_store_is_bounded(db: Any) -> None:
    for i in range(cache.MAX_ENTRIES + 50):
        cache.cached("test", i, lambda i=i: i)
    assert cache.stats()["entries"] <= cache.MAX_ENTRIES
    # The newest are kept, the oldest dropped.
    calls = []
    cache.cached("test", cache.MAX_ENTRIES + 49, lambda: calls.append(1))
    assert calls == []
    cache.cached("test", 0, lambda: calls.append(1))
    assert calls == [1]


def test_a_refilled_database_never_meets_old_results(db: Any, factory: Any, users: Any):
    """The generation starts at a random value: emptying and refilling the database (as
    tests do, or a reinstall) does not bring back a generation cached before."""
    generation = data_generation(db.session)
    assert generation > 1  # random start, not 1
    cache.cached("test-refill", "k", lambda: "alt")
    assert cache.cached("test-refill", "k", lambda: "neu") == "alt"
    factory.measure(users["submitter"].department, S.DRAFT, "Neu")
    db.session.commit()
    assert cache.cached("test-refill", "k", lambda: "neu") == "neu"


def test_threads_missing_the_same_key_compute_it_once(monkeypatch: Any) -> None:
    """After a change, simultaneous requests for one page share one computation."""
    import threading
    import time

    monkeypatch.setattr(cache, "generation", lambda: 7)
    cache.clear()
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        time.sleep(0.05)
        return 42

    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.cached("t", "k", compute)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [42] * 8
    assert len(calls) == 1
    # another key is computed on its own, and a new generation computes again
    assert cache.cached("t", "other", compute) == 42 and len(calls) == 2
    monkeypatch.setattr(cache, "generation", lambda: 8)
    assert cache.cached("t", "k", compute) == 42 and len(calls) == 3
    cache.clear()
