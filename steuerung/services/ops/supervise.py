"""Run several commands as one: ``python -m steuerung.services.ops.supervise "CMD" "CMD" ...``.

Used by ``make run`` (development server and job worker) and ``make serve`` (gunicorn and job
worker). Ctrl+C (SIGINT) or SIGTERM stops all of them; when one ends by itself, the others
are stopped too and its exit code is returned.
"""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
import time
from types import FrameType


def _stop(processes: list[subprocess.Popen[bytes]], sig: int, grace: float = 20.0) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(sig)
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str]) -> int:
    """Start every command, wait, stop all when one ends or a signal comes."""
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    stopping: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    processes = [subprocess.Popen(shlex.split(command)) for command in argv]
    code = 0
    while not stopping:
        ended = [p for p in processes if p.poll() is not None]
        if ended:
            code = ended[0].returncode or 0
            break
        time.sleep(0.2)
    # SIGINT lets the worker finish its running job and gunicorn finish its requests.
    _stop(processes, signal.SIGINT if stopping != [signal.SIGTERM] else signal.SIGTERM)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
