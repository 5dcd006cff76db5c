"""Locust users for ``make load``: a realistic mix of Steuerung's roles (loopback only).

Environment (set by ``bench/load/run.py``): ``LOAD_HOSTS`` (comma-separated base URLs; users
are spread over them), ``LOAD_USERS`` (JSON file with usernames per role), ``LOAD_PASSWORD``,
``LOAD_ACKS`` (JSONL file where every acknowledged write is recorded for the check after the
run). Exports and the council PDF go through the job system: start, poll, download.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import secrets
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task

HOSTS = [h for h in os.environ.get("LOAD_HOSTS", "http://127.0.0.1:8000").split(",") if h]
USERS: dict[str, list[str]] = json.loads(
    Path(os.environ.get("LOAD_USERS", "users.json")).read_text(encoding="utf-8")
)
PASSWORD = os.environ.get("LOAD_PASSWORD", "")
ACKS = os.environ.get("LOAD_ACKS", "acks.jsonl")
_host_cycle = itertools.cycle(HOSTS)
#: Each simulated person logs in with an account of their own (round robin per role).
_accounts = {role: itertools.cycle(names) for role, names in USERS.items()}
_ack_lock = threading.Lock()
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
MEASURE_LINK = re.compile(r'href="/massnahmen/(\d+)"')
TRANSITION_RE = re.compile(r'name="target" value="submitted"')
JOB_TIMEOUT = 180
#: Diagnosis only (LOAD_JOBS=0): leave out exports and the PDF to see what the jobs cost the
#: pages; the figures in the README are always with jobs.
JOBS = os.environ.get("LOAD_JOBS", "1") != "0"


def ack(kind: str, **data: Any) -> None:
    """Record a write the server acknowledged (redirect after POST)."""
    with _ack_lock, open(ACKS, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"kind": kind, **data}) + "\n")


#: The app answers 409 only for a save refused because someone else saved first; the page
#: then shows the other person's values (measure form) or the German conflict message.
CONFLICT_TEXTS = ("Aktuell gespeicherter Stand", "nicht gespeichert", "inzwischen")
#: Words of the German message when a draft cannot be submitted yet (fields missing).
INCOMPLETE_TEXT = "Die Maßnahme ist noch nicht vollständig"


def post_write(client: Any, url: str, data: Any, name: str) -> Any:
    """POST a form. A refused stale save (409 with the German conflict message, two users
    saved the same measure) and a refused submission of an incomplete draft (400 with the
    list of what is missing) are correct answers: they count as success and are recorded
    as such, not as writes."""
    with client.post(
        url, data=data, name=name, allow_redirects=False, catch_response=True
    ) as response:
        if response.status_code == 409 and any(t in response.text for t in CONFLICT_TEXTS):
            response.success()
            ack("conflict", measure=None)
        elif response.status_code == 400 and INCOMPLETE_TEXT in response.text:
            response.success()  # refused with the list of what is missing: correct
            ack("incomplete", measure=None)
        elif response.status_code >= 400:
            response.failure(f"HTTP {response.status_code}")
        return response


class FormParser(HTMLParser):
    """The fields of every POST form on a page, as the browser would send them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[list[tuple[str, str]]] = []
        self._in_form = False
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._text = ""

    @property
    def fields(self) -> list[tuple[str, str]]:
        return self.forms[-1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self._in_form = True
            self.forms.append([])
        if not self._in_form:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "button", "file"):
                return
            self.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select, self._select_first, self._select_chosen = a.get("name"), None, False
        elif tag == "option" and self._select:
            if self._select_first is None:
                self._select_first = a.get("value", "")
            if "selected" in a:
                self.fields.append((self._select, a.get("value", "")))
                self._select_chosen = True
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), ""

    def handle_endtag(self, tag: str) -> None:
        if not self._in_form:
            return
        if tag == "select" and self._select:
            if not self._select_chosen and self._select_first is not None:
                self.fields.append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea" and self._textarea:
            # Browsers drop one newline right after <textarea>.
            text = self._text[2:] if self._text.startswith("\r\n") else self._text
            self.fields.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "form":
            self._in_form = False

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text += data


def form_fields(html: str, field: str) -> list[tuple[str, str]]:
    """The fields of the POST form of ``html`` that has a field named ``field``."""
    parser = FormParser()
    parser.feed(html)
    for form in parser.forms:
        if any(name == field for name, _ in form):
            return form
    return []


class SteuerungUser(HttpUser):
    """Logs in once as a user of ``role`` on one of the hosts."""

    abstract = True
    role = ""
    wait_time = between(1, 4)
    host = HOSTS[0]

    def on_start(self) -> None:
        self.client.base_url = next(_host_cycle)
        self.username = next(_accounts[self.role])
        page = self.client.get("/auth/login", name="Anmeldung")
        token = CSRF_RE.search(page.text)
        response = self.client.post(
            "/auth/login",
            data={
                "csrf_token": token.group(1) if token else "",
                "username": self.username,
                "password": PASSWORD,
            },
            name="Anmeldung",
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise RuntimeError(f"Anmeldung von {self.username} fehlgeschlagen")
        self.measure_ids: list[int] = []

    def page(self, url: str, name: str) -> Any:
        return self.client.get(url, name=name)

    def job(self, url: str, name: str) -> None:
        """Start a job (export, PDF), poll its status, download the file; times the whole."""
        if not JOBS:
            return
        started = time.perf_counter()
        response = self.client.get(url, name=f"{name}: anfordern", allow_redirects=False)
        if response.status_code == 302 and response.headers["Location"].endswith("/auftraege/"):
            ok = False  # refused: too many running jobs of this person
        elif response.status_code == 302:
            status_url = response.headers["Location"] + "/status.json"
            deadline = time.monotonic() + JOB_TIMEOUT
            state: dict[str, Any] = {"active": True}
            while state.get("active") and time.monotonic() < deadline:
                time.sleep(1)
                state = self.client.get(status_url, name="Auftrag: Status").json()
            ok = state.get("status") == "done" and state.get("download_url")
            if ok:
                ok = self.client.get(state["download_url"], name=f"{name}: Datei").ok
        else:
            ok = response.status_code == 200
        events.request.fire(
            request_type="JOB",
            name=f"{name}: bis zur Datei",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=None if ok else RuntimeError("Auftrag nicht fertig"),
            context={},
        )

    def some_measure(self, query: str = "") -> int | None:
        listing = self.page(f"/massnahmen/?{query}", "Maßnahmen: Liste")
        ids = [int(i) for i in MEASURE_LINK.findall(listing.text)]
        return random.choice(ids) if ids else None


class Coordinator(SteuerungUser):
    """Koordinationsstelle: register, dashboard, detail pages, exports."""

    role = "coordinator"
    weight = 15

    @task(6)
    def register(self) -> None:
        page = random.randint(1, 20)
        self.page(f"/portfolio/register?page={page}", "Register")

    @task(3)
    def register_filtered(self) -> None:
        status = random.choice(["in_progress", "approved", "submitted"])
        self.page(f"/portfolio/register?status={status}&sort=title&dir=asc", "Register gefiltert")

    @task(3)
    def dashboard(self) -> None:
        self.page("/dashboard/", "Dashboard")

    @task(3)
    def detail(self) -> None:
        measure = random.randint(1, int(os.environ.get("LOAD_MEASURES", "10000")))
        self.client.get(f"/massnahmen/{measure}", name="Maßnahme: Ansicht")

    @task(1)
    def inbox(self) -> None:
        self.page("/portfolio/inbox", "Prüfung")

    @task(1)
    def register_export(self) -> None:
        status = random.choice(["in_progress", "approved"])
        self.job(f"/portfolio/register.csv?status={status}", "Export Register CSV")


class Submitter(SteuerungUser):
    """Fachbereich: own measures, edits, submissions, status reports."""

    role = "submitter"
    weight = 20

    @task(3)
    def listing(self) -> None:
        self.page("/massnahmen/", "Maßnahmen: Liste")

    @task(3)
    def detail(self) -> None:
        measure = self.some_measure()
        if measure:
            self.page(f"/massnahmen/{measure}", "Maßnahme: Ansicht")

    @task(3)
    def edit(self) -> None:
        measure = self.some_measure("status=draft")
        if not measure:
            return
        form = self.page(f"/massnahmen/{measure}/bearbeiten", "Maßnahme: Formular")
        if "csrf_token" not in form.text:
            return
        token = secrets.token_hex(4)
        fields = []
        for name, value in form_fields(form.text, "title"):
            if name == "title":
                value = re.sub(r" \[L-[0-9a-f]{8}\]$", "", value)[:180] + f" [L-{token}]"
            fields.append((name, value))
        response = post_write(
            self.client, f"/massnahmen/{measure}/bearbeiten", fields, "Maßnahme: speichern"
        )
        if response.status_code == 302:
            ack("edit", measure=measure, token=token)

    @task(2)
    def report(self) -> None:
        measure = self.some_measure("status=in_progress")
        if not measure:
            return
        form = self.page(f"/massnahmen/{measure}/statusbericht", "Statusbericht: Formular")
        if "csrf_token" not in form.text:
            return
        token = secrets.token_hex(4)
        values = dict(form_fields(form.text, "text"))
        values.update(
            schedule_light=random.choice(["green", "yellow", "red"]),
            cost_light="green",
            scope_light="green",
            progress_percent=str(random.randint(0, 100)),
            text=f"Lasttest-Bericht {token}",
            next_steps="Weiter wie geplant.",
        )
        response = self.client.post(
            f"/massnahmen/{measure}/statusbericht",
            data=values,
            name="Statusbericht: speichern",
            allow_redirects=False,
        )
        if response.status_code == 302:
            ack("report", measure=measure, token=token)

    @task(1)
    def submit(self) -> None:
        measure = self.some_measure("status=draft")
        if not measure:
            return
        detail = self.page(f"/massnahmen/{measure}", "Maßnahme: Ansicht")
        if not TRANSITION_RE.search(detail.text):
            return
        # The transition form with its hidden fields (CSRF token, the measure's version).
        parser = FormParser()
        parser.feed(detail.text)
        chosen = [form for form in parser.forms if ("target", "submitted") in form]
        values = dict(chosen[0]) if chosen else {}
        response = post_write(
            self.client, f"/massnahmen/{measure}/status", values, "Maßnahme: einreichen"
        )
        if response.status_code == 302:
            follow = self.client.get(response.headers["Location"], name="Maßnahme: Ansicht")
            if "Status geändert: Eingereicht" in follow.text:
                ack("submit", measure=measure)


class Treasury(SteuerungUser):
    """Kämmerei: coverage tables, budget lines, exports."""

    role = "treasury"
    weight = 8

    @task(12)
    def coverage(self) -> None:
        view = random.choice(["stelle", "fachbereich", "art"])
        self.page(f"/haushalt/?ansicht={view}", "Haushalt: Deckung")

    @task(8)
    def lines(self) -> None:
        self.page("/haushalt/stellen", "Haushalt: Stellen")

    @task(1)
    def export_xlsx(self) -> None:
        self.job("/haushalt/export.xlsx", "Export Haushalt XLSX")

    @task(1)
    def export_csv(self) -> None:
        self.job("/haushalt/export.csv?tabelle=massnahmen", "Export Haushalt CSV")


class Leadership(SteuerungUser):
    """Behördenleitung: dashboards and the council report."""

    role = "leadership"
    weight = 7

    @task(6)
    def dashboard(self) -> None:
        self.page("/dashboard/", "Dashboard")

    @task(3)
    def leadership(self) -> None:
        self.page("/dashboard/leitung", "Dashboard Leitung")

    @task(2)
    def council_report(self) -> None:
        self.page("/dashboard/sachstandsbericht", "Sachstandsbericht (Seite)")

    @task(1)
    def council_pdf(self) -> None:
        self.job("/dashboard/sachstandsbericht.pdf", "Sachstandsbericht PDF")
