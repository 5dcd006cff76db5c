"""gunicorn settings for Steuerung (``gunicorn -c gunicorn.conf.py``; ``make serve``).

Sized for a machine with two cores: 4 worker processes x 2 threads. More processes with fewer
threads each, because threads of one process take turns on the interpreter lock: a thread that
comes back from the database (SQLite gives the lock up for every row it steps) waits for the
others' time slices. Under ``make load`` on SQLite (two runs each) 4 x 2 instead of 2 x 4
took the p95 over all requests from 170-190 to 190-200 ms but the council page from 400-580 to
270-300 ms, the simple pages from 50-120 to 41-120 ms and the leadership dashboard from 330-430
to 190-330 ms; the dashboard stayed within the spread (240-350). About 200 MB per process.
Long work (council PDF,
full exports, imports) runs in the job worker (``flask jobs worker``), so no request needs
more than a few seconds; the timeout only has to cover the SQLite busy timeout (15 s) with
room to spare. Every value can be set by an environment variable.
"""

import os
from typing import Any

wsgi_app = "wsgi:app"
#: Address to listen on; behind a reverse proxy keep it on loopback or a private network.
bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", "4"))
threads = int(os.environ.get("WEB_THREADS", "2"))
worker_class = "gthread"
#: Seconds a request may take before the worker is restarted (jobs are not requests).
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT", "30"))
#: Longer than a user's pause between clicks: no race between an idle close and a new request.
keepalive = int(os.environ.get("WEB_KEEPALIVE", "20"))
#: Restart a worker after this many requests (with jitter): a guard against slow leaks. The
#: caches are bounded (LRU); a restart empties them, so not too often (at 30 req/s, 2,000
#: requests restarted each worker every two minutes and its next pages computed from scratch).
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "20000"))
max_requests_jitter = 2000
#: Each worker opens its own database connections (no connections shared across fork).
preload_app = False
#: The app writes one JSON line per request with its request id (REQUEST_LOG=1).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("WEB_LOGLEVEL", "info")
#: Proxies whose X-Forwarded-* headers are trusted (comma-separated addresses).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "steuerung"


#: Render the summarising pages once before a worker takes requests (``steuerung/views/
#: warmup.py``); WEB_WARM=0 leaves it out.
warm = os.environ.get("WEB_WARM", "1") != "0"


def post_worker_init(worker: Any) -> None:
    """Compute the summarising pages, compile templates, move the loaded app (and what the
    warm-up computed) out of the garbage collector's full passes and leave full collections
    to ``post_request`` (``steuerung/services/ops/warmup.py``: pauses of 110-200 ms inside
    requests under load)."""
    from steuerung.services.ops.warmup import defer_full_collections, prepare_process
    from steuerung.views.warmup import warm_summaries

    if warm:
        warm_summaries(worker.wsgi)
    prepare_process(worker.wsgi)
    defer_full_collections()


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    """After the response has been sent: a full garbage collection when one is due."""
    from steuerung.services.ops.warmup import collect_after_response

    collect_after_response()
