"""Local servers on loopback for tests and load runs: Redis on a free port.

``with redis_server(tmp_dir) as url:`` starts Debian's ``redis-server`` (no persistence,
bound to 127.0.0.1) and stops it afterwards. ``.ci/run`` installs the package when missing.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_binary() -> str | None:
    """Path of ``redis-server`` or None."""
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )


@contextmanager
def redis_server(work_dir: Path, port: int | None = None) -> Iterator[str]:
    """Run redis-server on loopback until the block ends; yields its ``redis://`` URL."""
    binary = redis_binary()
    if binary is None:
        raise RuntimeError("redis-server fehlt (Debian-Paket redis-server).")
    port = port or free_port()
    work_dir.mkdir(parents=True, exist_ok=True)
    log = (work_dir / f"redis-{port}.log").open("wb")
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(work_dir),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server startete nicht (Protokoll: {log.name})")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
