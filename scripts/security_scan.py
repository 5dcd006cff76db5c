#!/usr/bin/env python3
"""Scan the running app for injection and other web weaknesses (``make security``).

Starts Steuerung in its production configuration on a free loopback port with a fresh
SQLite copy of the demo Kommune, logs in as one demo user of every role and, per role:

1. crawls every page reachable from the start page and collects each distinct GET address
   with a query string and each form (action, method, fields with their default values);
2. runs **sqlmap** (Debian package) on every one of them: every query parameter and every
   POST field is tested, with the role's session cookie and the form's CSRF token (the token
   itself is not attacked, else every request would just be refused);
3. runs **wapiti** (Debian package) over the whole site with the same cookie and a time limit.

Prints a summary and exits 1 on any finding: an injection point, an HTTP 500 seen by either
tool, or a wapiti vulnerability or anomaly. Only 127.0.0.1 is ever contacted.

    python scripts/security_scan.py [--roles submitter,admin] [--wapiti-seconds 300]
"""

from __future__ import annotations

import argparse
import html.parser
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
#: Demo users (seed/demo.py) per role.
ROLES = {
    "submitter": "fb3",
    "coordinator": "koordination",
    "treasury": "kaemmerei",
    "leadership": "buergermeisterin",
    "admin": "admin",
}
DEMO_PASSWORD = "Lindenfeld-2026"
#: Not attacked: ending the scanner's own session, or its password.
EXCLUDE = re.compile(
    r"/auth/logout|/auth/password|/sitzungen-beenden|/benutzer/\d+/passwort|/vendor/|/static/"
    r"|/favicon"
)
#: Downloads are fetched but not parsed for links.
MAX_PAGES = 400
SQLMAP_FINDING = re.compile(r"identified the following injection point|is vulnerable", re.I)
HTTP_ERRORS = re.compile(r"HTTP error codes detected during run:\s*(.+)", re.I)


@dataclass
class Target:
    """One GET address with a query, or one form."""

    method: str
    url: str
    data: dict[str, str] = field(default_factory=dict)
    source: str = ""

    @property
    def key(self) -> tuple[str, str, tuple[str, ...]]:
        path = urllib.parse.urlsplit(self.url).path
        path = re.sub(r"/\d+", "/<id>", path)
        names = (
            self.data.keys()
            if self.method == "POST"
            else urllib.parse.parse_qs(
                urllib.parse.urlsplit(self.url).query, keep_blank_values=True
            ).keys()
        )
        return (self.method, path, tuple(sorted(names)))


class _Page(html.parser.HTMLParser):
    """Links and forms of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = {
                "action": a.get("action", ""),
                "method": a.get("method", "get").upper(),
                "enctype": a.get("enctype", ""),
                "fields": {},
            }
            self.forms.append(self._form)
        elif self._form is not None and tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a or a["name"] not in self._form["fields"]:
                    self._form["fields"][a["name"]] = a.get("value", "on")
            elif kind == "file":
                self._form["file"] = True
            elif kind not in ("submit", "button", "image", "reset"):
                self._form["fields"][a["name"]] = a.get("value", "")
        elif self._form is not None and tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form["fields"].setdefault(a["name"], "")
        elif self._select and tag == "option":
            if not self._form["fields"].get(self._select) or "selected" in a:
                self._form["fields"][self._select] = a.get("value", "")
        elif self._form is not None and tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form["fields"][a["name"]] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea and self._form is not None:
            self._form["fields"][self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Keep 302 responses visible (a redirect to the login page means: logged out)."""

    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fetch(url: str, cookie: str = "", data: dict[str, str] | None = None):  # noqa: ANN202
    opener = urllib.request.build_opener(NoRedirect)
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body)  # noqa: S310 (loopback only)
    if cookie:
        request.add_header("Cookie", cookie)
    try:
        return opener.open(request, timeout=60)
    except urllib.error.HTTPError as error:
        return error


class App:
    """Steuerung on loopback with a fresh demo database."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "STEUERUNG_CONFIG": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": f"sqlite:///{folder / 'scan.db'}",
            "FLASK_APP": "wsgi",
            "SESSION_IDLE_TIMEOUT": str(4 * 3600),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.log = open(folder / "server.log", "wb")  # noqa: SIM115

    def start(self) -> None:
        for args in (["db", "upgrade"], ["seed", "demo"]):
            subprocess.run(  # noqa: S603
                [str(BIN / "flask"), *args],
                cwd=ROOT,
                env=self.env,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        self.process = subprocess.Popen(  # noqa: S603
            [
                str(BIN / "flask"),
                "run",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-reload",
                "--no-debugger",
                "--with-threads",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("Die Anwendung startet nicht (siehe server.log)")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=15)
        self.log.close()

    def server_errors(self) -> int:
        """HTTP 500 answers in the server's log."""
        text = (self.folder / "server.log").read_text(errors="replace")
        return len(re.findall(r'" 500 -', text))

    def login(self, username: str) -> str:
        """Log in through the form; returns the Cookie header value of the new session."""
        page = _fetch(self.base + "/auth/login")
        cookie = _cookie(page)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.read().decode())
        response = _fetch(
            self.base + "/auth/login",
            cookie,
            {"csrf_token": token.group(1), "username": username, "password": DEMO_PASSWORD},
        )
        if response.status != 302:
            raise RuntimeError(f"Anmeldung als {username} fehlgeschlagen ({response.status})")
        return _cookie(response) or cookie


def _cookie(response) -> str:  # noqa: ANN001
    values = [
        header.split(";", 1)[0]
        for header in response.headers.get_all("Set-Cookie") or []
        if "session=" in header.split(";", 1)[0]
    ]
    return values[-1] if values else ""


def crawl(app: App, cookie: str) -> tuple[int, list[Target]]:
    """Every page reachable as this user; returns (pages, distinct targets)."""
    seen: set[str] = set()
    queue = deque([app.base + "/"])
    targets: dict[tuple, Target] = {}
    pages = 0
    while queue and pages < MAX_PAGES:
        url = queue.popleft()
        if url in seen or EXCLUDE.search(url):
            continue
        seen.add(url)
        response = _fetch(url, cookie)
        pages += 1
        if urllib.parse.urlsplit(url).query:
            target = Target("GET", url, source=url)
            targets.setdefault(target.key, target)
        if response.status != 200 or "text/html" not in response.headers.get("Content-Type", ""):
            continue
        parser = _Page()
        parser.feed(response.read().decode("utf-8", errors="replace"))
        for href in parser.links:
            absolute = urllib.parse.urljoin(url, href).split("#", 1)[0]
            if absolute.startswith(app.base + "/") and absolute not in seen:
                queue.append(absolute)
        for form in parser.forms:
            action = urllib.parse.urljoin(url, form["action"] or url).split("#", 1)[0]
            if not action.startswith(app.base) or EXCLUDE.search(action) or form.get("file"):
                continue
            if form["method"] == "GET":
                query = urllib.parse.urlencode({k: v or "1" for k, v in form["fields"].items()})
                target = Target("GET", f"{action.split('?', 1)[0]}?{query}", source=url)
                if form["fields"]:
                    targets.setdefault(target.key, target)
                    if target.url not in seen:
                        queue.append(target.url)
            else:
                data = {k: v if v else "1" for k, v in form["fields"].items()}
                data["csrf_token"] = form["fields"].get("csrf_token", "")
                target = Target("POST", action, data, source=url)
                targets.setdefault(target.key, target)
    return pages, list(targets.values())


@dataclass
class Result:
    """Per role: what was scanned and found."""

    role: str
    pages: int = 0
    targets: int = 0
    parameters: int = 0
    sqlmap_findings: list[str] = field(default_factory=list)
    sqlmap_http_errors: list[str] = field(default_factory=list)
    wapiti_vulnerabilities: dict[str, int] = field(default_factory=dict)
    wapiti_anomalies: dict[str, int] = field(default_factory=dict)
    wapiti_requests: str = ""
    seconds: float = 0.0


def run_sqlmap(target: Target, cookie: str, out: Path) -> tuple[list[str], list[str], int]:
    """sqlmap on one target; returns (findings, HTTP error notes, parameters tested)."""
    command = [
        "sqlmap",
        "-u",
        target.url,
        "--cookie",
        cookie,
        "--batch",
        "--flush-session",
        "--output-dir",
        str(out),
        "--disable-coloring",
        "--level",
        "1",
        "--risk",
        "1",
        "--technique",
        "BEU",
        "--timeout",
        "30",
        "--retries",
        "1",
        "--threads",
        "2",
        "--skip",
        "csrf_token",
        "-v",
        "1",
    ]
    if target.method == "POST":
        command += ["--data", urllib.parse.urlencode(target.data), "--method", "POST"]
        parameters = len([k for k in target.data if k != "csrf_token"])
    else:
        parameters = len(urllib.parse.parse_qs(urllib.parse.urlsplit(target.url).query, True))
    result = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, timeout=3600, check=False
    )
    output = result.stdout + result.stderr
    out.mkdir(parents=True, exist_ok=True)
    with (out / "sqlmap-output.log").open("a", encoding="utf-8") as log:
        log.write(f"\n===== {target.method} {target.url}\n{output}")
    findings = [
        f"{target.method} {target.url}: {line.strip()}"
        for line in output.splitlines()
        if SQLMAP_FINDING.search(line) and "might" not in line and "not" not in line.lower()
    ]
    errors = [
        f"{target.method} {target.url}: {m.group(1).strip()}"
        for m in HTTP_ERRORS.finditer(output)
        if "500" in m.group(1)
    ]
    return findings, errors, parameters


#: Runs Debian's wapiti 3.0.4 with its URL-exclusion pattern fixed for Python 3.11 (it puts
#: the regex flags at the end, which Python 3.11 refuses, so ``-x`` would crash the scan).
WAPITI_LAUNCHER = r"""
import re, sys
import wapitiCore.net.crawler as crawler

def wildcard_translate(pattern):
    body = "".join(".*" if c == "*" else re.escape(c) for c in pattern)
    return re.compile("(?ms)" + body + r"\Z")

crawler.wildcard_translate = wildcard_translate
from wapitiCore.main.wapiti import wapiti_main
sys.argv[0] = "wapiti"
sys.exit(wapiti_main())
"""


def run_wapiti(app: App, cookie: str, out: Path, seconds: int) -> tuple[dict, dict, str]:
    """wapiti over the site as this user; returns (vulnerabilities, anomalies, info).

    A missing report counts as a finding (the scan did not run).
    """
    report = out / "wapiti.json"
    command = [
        "/usr/bin/python3",
        "-c",
        WAPITI_LAUNCHER,
        "-u",
        app.base + "/",
        "--scope",
        "folder",
        "-H",
        f"Cookie: {cookie}",
        "--flush-session",
        "--store-session",
        str(out / "session"),
        "--max-scan-time",
        str(seconds),
        "--max-attack-time",
        str(max(30, seconds // 6)),
        "-f",
        "json",
        "-o",
        str(report),
        "--no-bugreport",
        "-v",
        "0",
        "-m",
        "default,csrf,crlf,methods,redirect",
    ]
    for pattern in ("/auth/logout", "/auth/password", "/sitzungen-beenden", "/passwort"):
        command += ["-x", f"{app.base}*{pattern}*"]
    completed = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, timeout=seconds * 3 + 600, check=False
    )
    (out / "wapiti.log").write_text(completed.stdout + completed.stderr)
    if not report.exists():
        return {"wapiti lief nicht (siehe wapiti.log)": 1}, {}, ""
    data = json.loads(report.read_text())
    refuted = _refute_csrf_findings(app, cookie, data.get("vulnerabilities", {}))
    vulnerabilities = {k: len(v) for k, v in data.get("vulnerabilities", {}).items() if v}
    if refuted:
        print(f"  wapiti-CSRF-Hinweise nachgeprüft und widerlegt: {refuted}", flush=True)
    anomalies = {k: len(v) for k, v in data.get("anomalies", {}).items() if v}
    info = data.get("infos", {}).get("crawled_pages_nbr", "")
    (out / "wapiti-findings.json").write_text(
        json.dumps(
            {"vulnerabilities": data.get("vulnerabilities"), "anomalies": data.get("anomalies")},
            indent=1,
            ensure_ascii=False,
        )
    )
    return vulnerabilities, anomalies, str(info)


def _refute_csrf_findings(app: App, cookie: str, vulnerabilities: dict) -> int:
    """Re-check wapiti's "CSRF" findings; drop those that are refused without a token.

    wapiti looks for a field named like ``csrf_token``; forms with a WTForms prefix carry
    ``m22-csrf_token``, which Flask-WTF accepts. Each such finding is sent again twice, once
    without any token field and once with a forged token: only if both are refused (400)
    is the finding dropped (and counted here). Anything else stays a finding.
    """
    findings = vulnerabilities.get("Cross Site Request Forgery") or []
    kept, refuted = [], 0
    for finding in findings:
        request_text = finding.get("http_request", "")
        body = request_text.split("\n\n", 1)[1].strip() if "\n\n" in request_text else ""
        fields = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
        url = app.base + finding.get("path", "")
        without = {k: v for k, v in fields.items() if not k.endswith("csrf_token")}
        forged = {**without, **{k: "falsch" for k in fields if k.endswith("csrf_token")}}
        statuses = [_fetch(url, cookie, without).status, _fetch(url, cookie, forged).status]
        if finding.get("method") == "POST" and statuses == [400, 400]:
            refuted += 1
        else:
            kept.append(finding)
    if findings:
        vulnerabilities["Cross Site Request Forgery"] = kept
    return refuted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--wapiti-seconds", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    for tool in ("sqlmap", "wapiti"):
        if not shutil.which(tool):
            print(f"{tool} fehlt: sudo apt-get install sqlmap wapiti", file=sys.stderr)
            return 2
    folder = Path(tempfile.mkdtemp(prefix="steuerung-scan-"))
    app = App(folder)
    results: list[Result] = []
    try:
        app.start()
        for role in args.roles.split(","):
            started = time.monotonic()
            result = Result(role)
            cookie = app.login(ROLES[role])
            result.pages, targets = crawl(app, cookie)
            result.targets = len(targets)
            print(f"[{role}] {result.pages} Seiten, {len(targets)} Ziele für sqlmap", flush=True)
            out = folder / role
            for number, target in enumerate(targets, 1):
                findings, errors, parameters = run_sqlmap(target, cookie, out / "sqlmap")
                result.parameters += parameters
                result.sqlmap_findings += findings
                result.sqlmap_http_errors += errors
                print(
                    f"  sqlmap {number}/{len(targets)} {target.method} "
                    f"{urllib.parse.urlsplit(target.url).path} ({parameters} Parameter)"
                    + (" FUND" if findings or errors else ""),
                    flush=True,
                )
            cookie = app.login(ROLES[role])  # fresh session for wapiti
            vulnerabilities, anomalies, info = run_wapiti(app, cookie, out, args.wapiti_seconds)
            result.wapiti_vulnerabilities = vulnerabilities
            result.wapiti_anomalies = anomalies
            result.wapiti_requests = info
            result.seconds = time.monotonic() - started
            results.append(result)
            print(
                f"  wapiti: {vulnerabilities or 'keine Schwachstellen'}, "
                f"Anomalien: {anomalies or 'keine'}",
                flush=True,
            )
    finally:
        app.stop()
    server_errors = app.server_errors()
    print("\n== Zusammenfassung make security ==")
    print(
        f"{'Rolle':<12} {'Seiten':>6} {'Ziele':>6} {'Param.':>6} {'SQLi':>5} "
        f"{'HTTP500':>7} {'wapiti':>7} {'Anom.':>6} {'Zeit':>7}"
    )
    total = 0
    for r in results:
        found = (
            len(r.sqlmap_findings)
            + len(r.sqlmap_http_errors)
            + sum(r.wapiti_vulnerabilities.values())
            + sum(r.wapiti_anomalies.values())
        )
        total += found
        print(
            f"{r.role:<12} {r.pages:>6} {r.targets:>6} {r.parameters:>6} "
            f"{len(r.sqlmap_findings):>5} {len(r.sqlmap_http_errors):>7} "
            f"{sum(r.wapiti_vulnerabilities.values()):>7} {sum(r.wapiti_anomalies.values()):>6} "
            f"{r.seconds:>6.0f}s"
        )
        for line in r.sqlmap_findings + r.sqlmap_http_errors:
            print("   ", line)
        for name, count in {**r.wapiti_vulnerabilities, **r.wapiti_anomalies}.items():
            print(f"    wapiti: {name}: {count}")
    print(f"HTTP-500-Antworten im Server-Log: {server_errors}")
    total += server_errors
    if args.keep or total:
        print(f"Berichte: {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    print("Ergebnis:", "keine Befunde" if total == 0 else f"{total} Befund(e)")
    return 0 if total == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
