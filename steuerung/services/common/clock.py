"""Today's date, in one place, so that tests can freeze it.

Deadline rules (grant proofs of use) take ``today`` as a parameter; pages ask :func:`today`.
A test freezes the clock with ``with frozen(date(2026, 11, 23)): ...`` and then sees every
page, also one served to the browser by a live server thread, as on that day.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

from steuerung.formatting import LOCAL_TZ

_frozen: date | None = None


def today() -> date:
    """The current date in the Kommune's time zone (or the frozen one in tests)."""
    if _frozen is not None:
        return _frozen
    return datetime.now(LOCAL_TZ).date()


@contextmanager
def frozen(day: date) -> Iterator[None]:
    """Let :func:`today` answer ``day`` inside the block (every thread of the process)."""
    global _frozen
    before = _frozen
    _frozen = day
    try:
        yield
    finally:
        _frozen = before
