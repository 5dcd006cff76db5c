"""Getting a long-running process (web worker, job worker) ready for steady service.

Python's cyclic garbage collector walks every tracked object in a full collection. Once the
app is loaded that is about 250,000 objects (modules, SQLAlchemy mappers, compiled templates,
form classes): a full collection took 110-150 ms and stops every thread of the process, and
under load it ran several times a minute, which showed up as the slowest requests. These
objects live as long as the process, so once it is ready they are moved out of the
collector's sight (``gc.freeze``); what requests create later (cached results included) is
collected as before. Measured at 10,000 measures: a full collection after warm-up 140 ms
before, under 2 ms after.

What requests keep grows again: cached results, SQLAlchemy's compiled statements. After a
few minutes under load a full collection took 150-200 ms again (240,000 objects), and Python
started one whenever enough new objects had survived, that is every few summarising pages
(measured with the request log's ``gc_ms``). So in a web worker full collections run only
between requests (:func:`defer_full_collections`, :func:`collect_after_response`): after a
response has been sent, and only every ``FULL_COLLECTION_EVERY`` collections of the middle
generation instead of Python's 10. The young generations are collected as before (about a
millisecond): short-lived cycles (an ORM session, a template context) go at once.
"""

from __future__ import annotations

import gc
import logging
import time

from flask import Flask
from sqlalchemy.orm import configure_mappers

log = logging.getLogger(__name__)

#: In a web worker a full collection runs after this many collections of the middle
#: generation (Python's own threshold is 10), and only after a response has been sent.
FULL_COLLECTION_EVERY = 100
#: A threshold the count never reaches: no automatic full collection.
_NEVER = 2**31 - 1

#: Template files compiled ahead (HTML pages, mails, the PDF's markup).
TEMPLATE_SUFFIXES = (".html", ".txt", ".xml", ".svg")


def prepare_process(app: Flask) -> int:
    """Compile what the first requests would (templates, mappers), then freeze the heap.

    Returns how many objects were frozen."""
    started = time.perf_counter()
    configure_mappers()
    for name in app.jinja_env.list_templates(filter_func=lambda n: n.endswith(TEMPLATE_SUFFIXES)):
        app.jinja_env.get_template(name)
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info(
        "Prozess bereit: %s Objekte aus der Speicherbereinigung genommen (%.0f ms)",
        frozen,
        (time.perf_counter() - started) * 1000,
    )
    return frozen


def defer_full_collections() -> None:
    """No automatic full collection in this process: :func:`collect_after_response` runs
    them (web workers only; the job worker has no "between requests")."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, _NEVER)


def collect_after_response() -> bool:
    """A full collection once ``FULL_COLLECTION_EVERY`` collections of the middle generation
    have passed since the last; called after a response is sent. True if it ran."""
    if gc.get_count()[2] < FULL_COLLECTION_EVERY:
        return False
    gc.collect()
    return True
