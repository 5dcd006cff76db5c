"""What each kind of job does: the council PDF, the budget and register exports, the import.

A kind's ``run(job_params, user, progress)`` returns an :class:`Outcome` (file bytes and name,
or a German message). It raises :class:`~steuerung.services.errors.DomainError` with a German
message for a failure the user can act on. Everything here runs in a worker (or, in tests,
inside the request) with an app context and no request: templates are rendered directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from flask import current_app
from werkzeug.datastructures import MultiDict

from steuerung.models import User
from steuerung.services.budget.rules import (
    may_edit_budget,
    may_import_actuals,
    may_read_budget,
)
from steuerung.services.common.errors import ValidationFailed
from steuerung.services.dashboard.rules import may_read_dashboard
from steuerung.services.portfolio.rules import may_read_portfolio, may_read_register

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
PDF = "application/pdf"


class Progress(Protocol):
    """Reports progress; raises when the user cancelled (while ``cancelable``)."""

    def __call__(self, percent: int, step: str, *, cancelable: bool = True) -> None: ...


@dataclass
class Outcome:
    """What a job produced: a file (``data``) or only a message."""

    data: bytes | None = None
    filename: str = ""
    mimetype: str = ""
    message: str = ""
    #: Open the file in the browser (PDF) instead of saving it.
    inline: bool = False


@dataclass(frozen=True)
class JobKind:
    """A kind of job: German label, who may start it, and how it behaves."""

    name: str
    label: str
    #: Who may start it: the rule of the route that offers it.
    rule: Callable[[User], bool]
    run: Callable[[dict[str, Any], User, Progress], Outcome]
    #: Reuse an earlier result while the data has not changed (same user, same day).
    cached: bool = True
    #: The user may cancel it while it waits or runs.
    cancelable: bool = True
    makes_file: bool = True
    #: The page that shows the result (its URL arguments are the job's ``args``) instead of
    #: offering the file for download.
    result_endpoint: str | None = None


def args_to_params(args: MultiDict[str, str]) -> dict[str, list[str]]:
    """URL arguments as JSON-safe job parameters (order kept, keys sorted)."""
    return {key: args.getlist(key) for key in sorted(args.keys())}


def _args(params: dict[str, Any]) -> MultiDict[str, str]:
    return MultiDict([(k, v) for k, values in params.get("args", {}).items() for v in values])


def _render(template: str, **context: Any) -> str:
    """Render a template without a request (no context processors needed by these)."""
    return current_app.jinja_env.get_template(template).render(**context)


# --- Council report ----------------------------------------------------------------------


def council_pdf(params: dict[str, Any], user: User, progress: Progress) -> Outcome:
    """The Sachstandsbericht as PDF for the filters in ``params["args"]``."""
    from steuerung.services.common.settings import get_settings
    from steuerung.services.dashboard.council_report import build_council_report, render_pdf
    from steuerung.services.dashboard.data import filter_options, parse_filters

    progress(10, "Daten werden zusammengestellt")
    filters, errors = parse_filters(_args(params), filter_options(get_settings().budget_year))
    if errors:
        raise ValidationFailed("Ungültiger Filter: " + " ".join(errors.values()))
    report = build_council_report(filters, user)
    html = _render("dashboard/council_report_pdf.html", report=report)
    progress(40, "PDF wird gesetzt")
    data = render_pdf(html)
    progress(95, "Datei wird gespeichert")
    return Outcome(data, f"sachstandsbericht-{report.created_on:%Y-%m-%d}.pdf", PDF, inline=True)


# --- Budget exports ----------------------------------------------------------------------


def budget_xlsx(params: dict[str, Any], user: User, progress: Progress) -> Outcome:
    """All coverage views and the measures as one workbook."""
    from steuerung.services.budget.exports import budget_workbook

    progress(10, "Deckung wird berechnet")
    data = budget_workbook(
        params["years"],
        params["budget_year"],
        include_submitted=params["scenario"],
        who=f"{user.full_name} ({user.role.label})",
        exported_at=datetime.now(UTC).astimezone().replace(tzinfo=None),
    )
    progress(95, "Datei wird gespeichert")
    suffix = "_szenario" if params["scenario"] else ""
    return Outcome(data, f"haushalt_{params['budget_year']}{suffix}.xlsx", XLSX)


def budget_csv(params: dict[str, Any], user: User, progress: Progress) -> Outcome:
    """One budget view as CSV."""
    from steuerung.services.budget.exports import budget_csv as write_budget_csv

    progress(10, "Deckung wird berechnet")
    data = write_budget_csv(
        params["years"],
        params["budget_year"],
        params["view"],
        include_submitted=params["scenario"],
    )
    progress(95, "Datei wird gespeichert")
    suffix = "_szenario" if params["scenario"] else ""
    return Outcome(data, f"haushalt_{params['table']}_{params['budget_year']}{suffix}.csv", CSV)


# --- Register exports --------------------------------------------------------------------


def _register_table(params: dict[str, Any], user: User, progress: Progress) -> tuple[Any, ...]:
    from steuerung.services.portfolio.register import (
        export_table,
        parse_register_args,
        search_register,
    )

    progress(10, "Auswahl wird gelesen")
    register_params = parse_register_args(_args(params))
    result = search_register(user, register_params, paginate=False)
    columns, rows, money = export_table(result)
    return register_params, result, columns, rows, money


def _register_filename(ext: str) -> str:
    return f"register-{date.today().isoformat()}.{ext}"


def register_csv(params: dict[str, Any], user: User, progress: Progress) -> Outcome:
    """The register selection (all pages) as German CSV."""
    from steuerung.services.budget.exports import write_csv

    _params, _result, columns, rows, _money = _register_table(params, user, progress)
    progress(80, "Datei wird geschrieben")
    return Outcome(write_csv(columns, rows), _register_filename("csv"), CSV)


def register_xlsx(params: dict[str, Any], user: User, progress: Progress) -> Outcome:
    """The register selection as XLSX with numbers, sums and a parameter sheet."""
    from steuerung.services.budget.exports import Sheet, write_xlsx
    from steuerung.services.portfolio.register import export_parameters

    register_params, result, columns, rows, money = _register_table(params, user, progress)
    progress(80, "Datei wird geschrieben")
    parameters: list[tuple[str, object]] = [
        ("Export", "Maßnahmenregister"),
        ("Erstellt am", date.today()),
        ("Erstellt von", user.full_name),
        ("Haushaltsjahr", result.horizon[0]),
        *export_parameters(register_params, result),
    ]
    if register_params.errors:
        parameters.append(("Hinweis", " ".join(register_params.errors)))
    data = write_xlsx(
        [Sheet(title="Register", columns=columns, rows=rows, money_columns=money)], parameters
    )
    return Outcome(data, _register_filename("xlsx"), XLSX)


# --- Import ------------------------------------------------------------------------------


def import_dir() -> Path:
    """Where the import previews wait (the budget view stores them there)."""
    return Path(current_app.instance_path) / "imports"


def import_apply(params: dict[str, Any], user: User, progress: Progress) -> Outcome:
    """Apply a stored import preview; each chunk of rows is committed (short transactions).

    The whole file is validated again against the current data before the first write, so a
    file error never leaves half an import. Cancelling is possible until the first chunk.
    """
    from steuerung.services.budget import imports as imports

    progress(5, "Vorschau wird geprüft")
    preview = imports.load_preview(params["token"], user_id=user.id, storage_dir=import_dir())
    total_rows = len(preview.rows)
    progress(10, f"{total_rows} Zeilen werden übernommen")

    def after_chunk(done: int, total: int) -> None:
        progress(
            10 + int(85 * done / max(total, 1)),
            f"{done} von {total} Beträgen übernommen",
            cancelable=False,
        )

    result = imports.apply_import(
        preview,
        by=user,
        chunk_rows=int(current_app.config.get("IMPORT_CHUNK_ROWS") or 2000),
        after_chunk=after_chunk,
    )
    imports.discard_preview(params["token"], storage_dir=import_dir())
    return Outcome(
        message=(
            f"Import übernommen: {result.changed} Beträge geändert oder neu, "
            f"{result.unchanged} unverändert, {result.created_lines} Haushaltsstellen neu "
            "angelegt."
        )
    )


# --- Cut-off scenario --------------------------------------------------------------------


def scenario(params: dict[str, Any], user: User, progress: Progress) -> Outcome:
    """The cut-off scenario of a large portfolio; the page reads the JSON result."""
    from steuerung.services.portfolio import scenario as scenario_service

    progress(10, "Maßnahmen und Kosten werden gelesen")
    overrides = {
        scenario_service.pot_from_key(key): Decimal(value)
        for key, value in params.get("overrides", {}).items()
    }
    result = scenario_service.cutoff_scenario(
        user, bool(params.get("include_submitted")), dict(overrides)
    )
    page = scenario_service.ScenarioView.of(result, scenario_service.PAGE_ROWS)
    return Outcome(
        data=page.to_json().encode("utf-8"),
        filename="szenario.json",
        mimetype="application/json",
    )


def actuals_apply(params: dict[str, Any], user: User, progress: Progress) -> Outcome:
    """Apply a stored actuals preview: one snapshot per year, all years in one transaction.

    The file is checked again against the current data first; nothing is committed before
    every row is written (the one commit is the final progress step).
    """
    from steuerung.services.budget import actuals, imports
    from steuerung.services.common.settings import get_settings

    progress(5, "Vorschau wird geprüft")
    storage = import_dir() / "actuals"
    preview = actuals.load_preview(
        params["token"],
        user_id=user.id,
        storage_dir=storage,
        budget_year=get_settings().budget_year,
    )
    progress(20, f"{len(preview.data_rows)} Zeilen werden übernommen")
    result = actuals.apply_actuals(preview, by=user)
    progress(95, "Ist-Daten gespeichert", cancelable=False)  # commits the whole import
    imports.discard_preview(params["token"], storage_dir=storage)
    return Outcome(message=result.message)


KINDS: dict[str, JobKind] = {
    kind.name: kind
    for kind in (
        JobKind(
            "council_pdf",
            "Sachstandsbericht (PDF)",
            may_read_dashboard,
            council_pdf,
        ),
        JobKind("budget_xlsx", "Haushaltsexport (XLSX)", may_read_budget, budget_xlsx),
        JobKind("budget_csv", "Haushaltsexport (CSV)", may_read_budget, budget_csv),
        JobKind("register_csv", "Registerexport (CSV)", may_read_register, register_csv),
        JobKind("register_xlsx", "Registerexport (XLSX)", may_read_register, register_xlsx),
        JobKind(
            "scenario",
            "Kürzungsszenario",
            may_read_portfolio,
            scenario,
            result_endpoint="portfolio.scenario",
        ),
        JobKind(
            "import_apply",
            "Import der Ansätze",
            may_edit_budget,
            import_apply,
            cached=False,
            makes_file=False,
        ),
        JobKind(
            "actuals_apply",
            "Import der Ist-Daten",
            may_import_actuals,
            actuals_apply,
            cached=False,
            makes_file=False,
        ),
    )
}
