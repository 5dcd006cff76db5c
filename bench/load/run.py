"""``make load``: 50 locust users for 2 minutes against gunicorn, on SQLite and PostgreSQL.

Loopback only, bounded in time. Per database:

1. a fresh database with ``--measures`` synthetic measures (``flask seed synthetic``), every
   user's password set to a known one;
2. SQLite: one gunicorn (4 workers x 2 threads, as ``gunicorn.conf.py``) and the job worker
   on the SQLite queue file (``LOAD_WORKERS``/``LOAD_THREADS`` change the sizes);
   PostgreSQL (``LOAD_DATABASE_URL``, emptied first): two gunicorn instances (2 workers x 2
   threads each, locust spreads the users over both) and the job worker on a Redis server
   started on a free loopback port (the shared queue);
3. locust headless; prints requests/s, p50/p95/p99 per request type and the errors;
4. afterwards every acknowledged write (edits, status reports, submissions) is looked up in
   the database.

Results: ``bench/results/load/<database>.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from scripts.servers import free_port, redis_server

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "bench" / "results" / "load"
BIN = Path(sys.executable).parent
PASSWORD = "Lasttest-Passwort-2026"
SECRET = "lasttest-nur-lokal"


def _env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "FLASK_APP": "wsgi",
        "STEUERUNG_CONFIG": "development",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": database_url,
        "REQUEST_LOG": "0",
        **extra,
    }


def _flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "flask"), *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)}: {done.stderr[-2000:]}")
    return done.stdout


def prepare(database_url: str, measures: int) -> dict[str, list[str]]:
    """Fresh schema, synthetic data, known passwords; usernames per role."""
    engine = create_engine(database_url)
    if engine.dialect.name == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{engine.url.database}{suffix}").unlink(missing_ok=True)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    env = _env(database_url)
    started = time.perf_counter()
    _flask(env, "db", "upgrade")
    _flask(env, "seed", "synthetic", "--measures", str(measures))
    print(f"  Daten: {measures} Maßnahmen in {time.perf_counter() - started:.0f} s erzeugt")
    script = (
        "from steuerung import create_app\n"
        "from steuerung.extensions import db\n"
        "from steuerung.models import User\n"
        "import json, sys\n"
        "from steuerung.models import Role\n"
        "from steuerung.services.common.audit import acting_as\n"
        "app = create_app()\n"
        "with app.app_context(), acting_as(None):\n"
        "    # One account per simulated person of the office roles (as in a real county).\n"
        "    for role, count in ((Role.COORDINATOR, 15), (Role.TREASURY, 8),\n"
        "                        (Role.LEADERSHIP, 7)):\n"
        "        model = db.session.scalar(db.select(User).where(User.role == role))\n"
        "        for n in range(count):\n"
        "            user = User(username=f'last-{role.value}-{n}',\n"
        "                full_name=f'Last {role.label} {n}', role=role,\n"
        "                department_id=model.department_id)\n"
        "            user.set_password(sys.argv[1])\n"
        "            db.session.add(user)\n"
        "    db.session.flush()\n"
        "    users = {}\n"
        "    for user in db.session.scalars(db.select(User)):\n"
        "        user.set_password(sys.argv[1])\n"
        "        users.setdefault(user.role.value, []).append(user.username)\n"
        "    db.session.commit()\n"
        "    print(json.dumps(users))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, PASSWORD],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _wait_healthy(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"Instanz auf Port {port} wurde nicht gesund")


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _database_cpu_s() -> float:
    """CPU seconds of all local PostgreSQL server processes (0 with SQLite: its work is done
    inside the app's own processes and counted there)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += _cpu_s(int(entry.name))
            except OSError:
                continue
    return total


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def run_one(
    label: str, database_url: str, instances: int, workers: int, args: argparse.Namespace
) -> dict[str, Any]:
    """Prepare, serve, load, check; returns the figures."""
    workers = int(os.environ.get("LOAD_WORKERS", workers))
    threads = int(os.environ.get("LOAD_THREADS", "2"))
    print(f"== {label}: Vorbereitung ==")
    work = WORK / label
    work.mkdir(parents=True, exist_ok=True)
    users = prepare(database_url, args.measures)
    (work / "users.json").write_text(json.dumps(users), encoding="utf-8")
    acks = work / "acks.jsonl"
    acks.unlink(missing_ok=True)
    queue_file = work / "queue.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{queue_file}{suffix}").unlink(missing_ok=True)
    for old in work.glob("gunicorn-*.log"):
        old.unlink()

    def serve(redis_url: str) -> dict[str, Any]:
        extra = {
            "JOBS_DIR": str(work / "files"),
            "JOBS_BACKEND": "redis" if redis_url else "sqlite",
            "JOBS_QUEUE_FILE": str(queue_file),
            "REDIS_URL": redis_url or "redis://unused",
        }
        ports = [free_port() for _ in range(instances)]
        processes = []
        logs = []
        for port in ports:
            log = (work / f"gunicorn-{port}.log").open("wb")
            logs.append(log)
            env = _env(
                database_url,
                BIND=f"127.0.0.1:{port}",
                WEB_WORKERS=str(workers),
                WEB_THREADS=str(threads),
                # One JSON line per request with server and CPU time (read after the run).
                REQUEST_LOG="1",
                **extra,
            )
            processes.append(
                subprocess.Popen(
                    [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        log = (work / "worker.log").open("wb")
        logs.append(log)
        worker = subprocess.Popen(
            [str(BIN / "flask"), "jobs", "worker"],
            cwd=ROOT,
            env=_env(database_url, **extra),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append(worker)
        try:
            for port in ports:
                _wait_healthy(port)
            print(f"== {label}: {args.users} Benutzer, {args.duration} s, Ports {ports} ==")
            web = [c for p in processes[:-1] for c in _children(p.pid)]
            cpu_before = {pid: _cpu_s(pid) for pid in [*web, worker.pid]}
            database_before = _database_cpu_s()
            children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            locust = subprocess.run(
                [
                    str(BIN / "locust"),
                    "-f",
                    str(ROOT / "bench" / "load" / "locustfile.py"),
                    "--headless",
                    "-u",
                    str(args.users),
                    "-r",
                    "5",
                    "-t",
                    f"{args.duration}s",
                    "--stop-timeout",
                    "30",
                    "--csv",
                    str(work / "locust"),
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                ],
                cwd=ROOT,
                env={
                    **os.environ,
                    "LOAD_HOSTS": ",".join(f"http://127.0.0.1:{p}" for p in ports),
                    "LOAD_USERS": str(work / "users.json"),
                    "LOAD_PASSWORD": PASSWORD,
                    "LOAD_ACKS": str(acks),
                    "LOAD_MEASURES": str(args.measures),
                },
                capture_output=True,
                text=True,
                timeout=args.duration + 300,
            )
            (work / "locust.out").write_text(locust.stdout + locust.stderr, encoding="utf-8")
            children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            #: Where the two cores went during the run (seconds of CPU per process group).
            cpu = {
                "web_s": round(sum(_cpu_s(pid) - cpu_before[pid] for pid in web), 1),
                "job_worker_s": round(_cpu_s(worker.pid) - cpu_before[worker.pid], 1),
                "database_s": round(_database_cpu_s() - database_before, 1),
                "locust_s": round(
                    children_after.ru_utime
                    + children_after.ru_stime
                    - children_before.ru_utime
                    - children_before.ru_stime,
                    1,
                ),
            }
            memory = {
                "gunicorn_workers_mb": [
                    round(_rss_mb(c), 1) for p in processes[:-1] for c in _children(p.pid)
                ],
                "job_worker_mb": round(_rss_mb(worker.pid), 1),
                "cpu": cpu,
            }
            return memory
        finally:
            for process in processes:
                process.send_signal(signal.SIGINT if process is worker else signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
            for handle in logs:
                handle.close()

    if instances > 1:
        with redis_server(work / "redis") as redis_url:
            memory = serve(redis_url)
    else:
        memory = serve("")
    stats = _read_stats(work / "locust_stats.csv")
    server = _read_server_times(sorted(work.glob("gunicorn-*.log")))
    failures = _read_failures(work / "locust_failures.csv")
    check = verify_acks(database_url, acks)
    result = {
        "database": label,
        "measures": args.measures,
        "users": args.users,
        "duration_s": args.duration,
        "instances": instances,
        "workers_per_instance": workers,
        "threads": threads,
        "stats": stats,
        "server": server,
        "failures": failures,
        "writes": check,
        "memory": memory,
        #: Load average of the machine after the run (other work on the same cores shows here).
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }
    (WORK / f"{label}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    _print(result)
    return result


def _read_stats(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows.append(
                {
                    "type": row["Type"],
                    "name": row["Name"],
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "rps": float(row["Requests/s"]),
                    "p50": float(row["50%"] or 0),
                    "p95": float(row["95%"] or 0),
                    "p99": float(row["99%"] or 0),
                }
            )
    return rows


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def _read_server_times(logs: list[Path]) -> list[dict[str, Any]]:
    """Server time and CPU time per endpoint from the app's JSON request log, beside the
    end-to-end times locust measures: the difference is queueing and waiting for a core."""
    by_endpoint: dict[str, list[tuple[float, float]]] = {}
    for path in logs:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if not line.startswith("{"):
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("event") != "request":
                continue
            key = f"{record['method']} {record.get('endpoint') or record['path']}"
            by_endpoint.setdefault(key, []).append(
                (float(record["duration_ms"]), float(record.get("cpu_ms") or 0))
            )
    rows = []
    for key, values in by_endpoint.items():
        durations = [d for d, _ in values]
        cpu = [c for _, c in values]
        rows.append(
            {
                "endpoint": key,
                "requests": len(values),
                "p50": _percentile(durations, 0.5),
                "p95": _percentile(durations, 0.95),
                "cpu_p50": _percentile(cpu, 0.5),
                "cpu_total_s": round(sum(cpu) / 1000, 1),
            }
        )
    return sorted(rows, key=lambda row: -row["cpu_total_s"])


def _read_failures(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def verify_acks(database_url: str, acks: Path) -> dict[str, Any]:
    """Look up every acknowledged write in the database."""
    entries = [json.loads(line) for line in acks.read_text().splitlines()] if acks.exists() else []
    missing = []
    engine = create_engine(database_url)
    with engine.connect() as connection:
        for entry in entries:
            measure = entry["measure"]
            if entry["kind"] in ("conflict", "incomplete"):
                continue  # refused with a message, nothing to find
            if entry["kind"] == "edit":
                found = connection.execute(
                    text(
                        "SELECT count(*) FROM audit_log WHERE entity_type = 'measures' "
                        "AND entity_id = :m AND CAST(changes AS TEXT) LIKE :t"
                    ),
                    {"m": measure, "t": f"%L-{entry['token']}%"},
                ).scalar()
            elif entry["kind"] == "report":
                found = connection.execute(
                    text("SELECT count(*) FROM status_reports WHERE measure_id = :m AND text = :t"),
                    {"m": measure, "t": f"Lasttest-Bericht {entry['token']}"},
                ).scalar()
            else:
                found = connection.execute(
                    text(
                        "SELECT count(*) FROM status_changes WHERE measure_id = :m "
                        "AND to_status = 'submitted'"
                    ),
                    {"m": measure},
                ).scalar()
            if not found:
                missing.append(entry)
    engine.dispose()
    kinds: dict[str, int] = {}
    for entry in entries:
        kinds[entry["kind"]] = kinds.get(entry["kind"], 0) + 1
    conflicts = kinds.pop("conflict", 0)
    incomplete = kinds.pop("incomplete", 0)
    return {
        "acknowledged": len(entries) - conflicts - incomplete,
        "by_kind": kinds,
        "conflicts": conflicts,
        "incomplete": incomplete,
        "missing": missing,
    }


def _print(result: dict[str, Any]) -> None:
    print(
        f"\n{result['database']}: {result['measures']} Maßnahmen, {result['users']} Benutzer, "
        f"{result['duration_s']} s, {result['instances']} Instanz(en) x "
        f"{result['workers_per_instance']} Worker x {result['threads']} Threads"
    )
    print(
        f"{'Anfrage (Zeiten in ms)':<46} {'Anz.':>6} {'Fehl.':>5} {'req/s':>6} "
        f"{'p50':>7} {'p95':>7} {'p99':>7}"
    )
    for row in result["stats"]:
        name = f"{row['type']} {row['name']}" if row["name"] != "Aggregated" else "GESAMT"
        print(
            f"{name[:46]:<46} {row['requests']:>6} {row['failures']:>5} {row['rps']:>6.1f} "
            f"{row['p50']:>7.0f} {row['p95']:>7.0f} {row['p99']:>7.0f}"
        )
    if result.get("server"):
        print(
            f"\n{'Serverzeit je Endpunkt (ms; CPU in s gesamt)':<46} {'Anz.':>6} "
            f"{'p50':>7} {'p95':>7} {'CPU p50':>8} {'CPU ges.':>9}"
        )
        for row in result["server"]:
            print(
                f"{row['endpoint'][:46]:<46} {row['requests']:>6} {row['p50']:>7.0f} "
                f"{row['p95']:>7.0f} {row['cpu_p50']:>8.1f} {row['cpu_total_s']:>9.1f}"
            )
    for failure in result["failures"]:
        print(
            f"FEHLER {failure.get('Name')}: {failure.get('Error')} ({failure.get('Occurrences')})"
        )
    writes = result["writes"]
    print(
        f"Abgewiesen mit Meldung: veraltete Formulare (409) {writes['conflicts']}, "
        f"unvollständige Einreichungen (400) {writes['incomplete']}; "
        f"Bestätigte Schreibvorgänge: {writes['acknowledged']} {writes['by_kind']}, "
        f"fehlend in der Datenbank: {len(writes['missing'])}"
    )
    print(f"Speicher (RSS, MB): {result['memory']}; Systemlast danach: {result['loadavg']}")


def main(argv: list[str] | None = None) -> int:
    """Run the load test on SQLite and (with LOAD_DATABASE_URL) on PostgreSQL."""
    parser = argparse.ArgumentParser(description="Lasttest (locust, nur Loopback)")
    parser.add_argument("--measures", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=120)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args(argv)
    results = []
    if args.only in (None, "sqlite"):
        results.append(run_one("sqlite", f"sqlite:///{WORK / 'load.db'}", 1, 4, args))
    pg_url = os.environ.get("LOAD_DATABASE_URL", "")
    if args.only in (None, "postgresql"):
        if pg_url.startswith("postgresql"):
            results.append(run_one("postgresql", pg_url, 2, 2, args))
        else:
            print("PostgreSQL übersprungen: LOAD_DATABASE_URL=postgresql+psycopg://… setzen.")
    bad = [r for r in results if r["writes"]["missing"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
