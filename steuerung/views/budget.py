"""Budget area (Haushalt): coverage tables, budget lines, VE, exports, import, rollover.

The treasury changes budget data; the coordinating office and leadership read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.exceptions import RequestEntityTooLarge

from steuerung.extensions import db
from steuerung.forms.base import required
from steuerung.forms.budget import (
    ArchiveForm,
    CommitmentForm,
    ImportApplyForm,
    ImportForm,
    RingForm,
    line_form,
)
from steuerung.forms.execution import rollover_form
from steuerung.models import (
    BudgetAmount,
    BudgetKind,
    BudgetLine,
    CommitmentAuthorization,
    CoverageRing,
    Department,
)
from steuerung.models.settings import PLANNING_YEARS
from steuerung.navigation import add_nav_item
from steuerung.services.budget import carry_forward as carry_service
from steuerung.services.budget import imports as import_service
from steuerung.services.budget import lines as budget_service
from steuerung.services.budget import rings as ring_service
from steuerung.services.budget import rules
from steuerung.services.budget.coverage import (
    Grouping,
    count_line_measures,
    coverage_table,
    line_measures_page,
)
from steuerung.services.budget.exports import year_caption
from steuerung.services.common.settings import get_settings
from steuerung.views import execution as execution_views
from steuerung.views.access import permission_required
from steuerung.views.jobs import job_response
from steuerung.views.paging import page_from_args
from steuerung.views.transaction import commit

bp = Blueprint("budget", __name__, url_prefix="/haushalt")
#: Measures per page on a budget line's page (a line can carry thousands).
LINE_MEASURES_PAGE_SIZE = 50

add_nav_item("budget.index", "Haushalt", rules.may_see_budget_menu, 40)
add_nav_item("budget.rollover", "Haushaltsjahr", rules.may_see_rollover_menu, 83)


#: URL names of the views (German) -> grouping.
VIEWS = {
    "stelle": Grouping.BUDGET_LINE,
    "ring": Grouping.RING,
    "fachbereich": Grouping.DEPARTMENT,
    "art": Grouping.KIND,
    "handlungsfeld": Grouping.ACTION_FIELD,
    "finanzierung": Grouping.FUNDING_SOURCE,
}
VIEW_TITLES = {
    "stelle": "Nach Haushaltsstelle",
    "ring": "Nach Deckungsring",
    "fachbereich": "Nach Fachbereich",
    "art": "Nach Haushaltsteil",
    "handlungsfeld": "Nach Handlungsfeld",
    "finanzierung": "Nach Finanzierung",
}
CSV_TABLES = {
    "summen": "totals",
    "massnahmen": "measures",
    "ve": "commitments",
    "vollzug": "execution",
    "vollzug_massnahmen": "execution_measures",
    **{k: v.value for k, v in VIEWS.items()},
}
#: Measures shown inside a budget line's details on the overview page (the largest ones;
#: the line's own page lists all). Keeps the page fast at 10,000 measures.
MEASURES_PER_LINE = 10


def _import_dir() -> Path:
    return Path(current_app.instance_path) / "imports"


def _params() -> dict[str, Any]:
    """View, scenario and budget year from the query string (invalid values fall back)."""
    settings = get_settings()
    view = request.args.get("ansicht", "stelle")
    if view not in VIEWS:
        view = "stelle"
    scenario = request.args.get("szenario") == "1"
    budget_year = request.args.get("hj", type=int) or settings.budget_year
    if not 2000 <= budget_year <= 2100 - PLANNING_YEARS:
        budget_year = settings.budget_year
    years = [budget_year + i for i in range(PLANNING_YEARS + 1)]
    return {
        "view": view,
        "scenario": scenario,
        "budget_year": budget_year,
        "current_year": settings.budget_year,
        "years": years,
    }


def _year_choices(current_year: int) -> list[int]:
    """Budget years that can be shown: from the first stored amount up to the current one."""
    first = db.session.scalar(select(func.min(BudgetAmount.year))) or current_year
    first = min(first, current_year)
    return list(range(current_year, max(first, current_year - 10) - 1, -1))


@bp.route("/")
@permission_required(rules.may_read_budget)
def index() -> str:
    """The coverage table for the horizon, by the chosen view, optionally as scenario."""
    params = _params()
    grouping = VIEWS[params["view"]]
    table = coverage_table(
        params["years"],
        grouping,
        include_submitted=params["scenario"],
        with_measures=grouping == Grouping.BUDGET_LINE,
        measures_limit=MEASURES_PER_LINE,
    )
    detailed = request.args.get("spalten") == "1" and not table.by_measure
    return render_template(
        "budget/index.html",
        table=table,
        detailed=detailed,
        columns_per_year=9 if detailed else 4,
        captions={y: year_caption(y, params["budget_year"]) for y in params["years"]},
        views=VIEW_TITLES,
        year_choices=_year_choices(params["current_year"]),
        measures_per_line=MEASURES_PER_LINE,
        can_edit=rules.may_edit_budget(current_user),
        warnings=budget_service.commitment_warnings(params["years"]),
        **params,
    )


@bp.route("/export.xlsx")
@permission_required(rules.may_read_budget)
def export_xlsx() -> ResponseReturnValue:
    """All coverage views and the measures as one XLSX workbook (background job, cached)."""
    params = _params()
    return job_response(
        "budget_xlsx",
        {k: params[k] for k in ("years", "budget_year", "scenario")},
    )


@bp.route("/export.csv")
@permission_required(rules.may_read_budget)
def export_csv() -> ResponseReturnValue:
    """One view (``tabelle``) as CSV for the finance software (background job, cached)."""
    params = _params()
    table = request.args.get("tabelle", "massnahmen")
    if table not in CSV_TABLES:
        abort(404)
    return job_response(
        "budget_csv",
        {
            **{k: params[k] for k in ("years", "budget_year", "scenario")},
            "view": CSV_TABLES[table],
            "table": table,
        },
    )


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    # content_type is taken as given: ``mimetype=`` would add a second "; charset=utf-8".
    response = Response(data, content_type=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- Budget lines -----------------------------------------------------------------------


def _departments() -> list[tuple[int, str]]:
    return [
        (d.id, f"{d.code} – {d.name}")
        for d in db.session.scalars(
            select(Department).where(Department.is_active.is_(True)).order_by(Department.code)
        )
    ]


@bp.route("/stellen")
@permission_required(rules.may_read_budget)
def lines() -> str:
    """All budget lines with their amounts in the horizon and VE."""
    settings = get_settings()
    return render_template(
        "budget/lines.html",
        lines=budget_service.budget_lines(),
        years=settings.horizon,
        budget_year=settings.budget_year,
        can_edit=rules.may_edit_budget(current_user),
    )


def _line_data(form: Any) -> budget_service.BudgetLineData:
    return budget_service.BudgetLineData(
        product=form.product.data or "",
        cost_center=form.cost_center.data or "",
        account=form.account.data or "",
        investment_number=form.investment_number.data or "",
        kind=BudgetKind(form.kind.data),
        department_id=form.department_id.data,
        name=form.name.data or "",
        is_active=bool(form.is_active.data),
        transferable=bool(form.transferable.data),
    )


@bp.route("/stellen/neu", methods=["GET", "POST"])
@permission_required(rules.may_edit_budget)
def line_new() -> ResponseReturnValue:
    """Create a budget line with its amounts for the horizon."""
    settings = get_settings()
    form = line_form(settings.horizon, settings.budget_year, _departments())
    if form.validate_on_submit():
        outcome = commit(
            lambda: budget_service.save_budget_line(
                _line_data(form),
                by=current_user,
                amounts={y: f.data for y, f in form.amount_fields()},
                base_loads={y: f.data for y, f in form.base_load_fields()},
            ),
            form=form,
        )
        if outcome.ok and outcome.value is not None:
            flash(f"Haushaltsstelle {outcome.value.label} wurde angelegt.", "success")
            return redirect(url_for("budget.line_detail", line_id=outcome.value.id))
    status = 400 if request.method == "POST" else 200
    return render_template("budget/line_form.html", form=form, line=None), status


@bp.route("/stellen/<int:line_id>/bearbeiten", methods=["GET", "POST"])
@permission_required(rules.may_edit_budget)
def line_edit(line_id: int) -> ResponseReturnValue:
    """Edit a budget line's key data, amounts and base loads; a stale form is refused with
    the user's input kept next to the values saved by the other person."""
    line = db.session.get(BudgetLine, line_id) or abort(404)
    settings = get_settings()
    stored = {a.year: a for a in line.amounts}
    data: dict[str, Any] = {}
    for y in settings.horizon:
        data[f"amount_{y}"] = stored[y].approved_amount if y in stored else None
        data[f"base_load_{y}"] = stored[y].base_load if y in stored else None
    data.update(kind=line.kind.value, version_id=str(line.version_id))
    form = line_form(settings.horizon, settings.budget_year, _departments(), obj=line, data=data)
    conflict = None
    status = 200
    if form.validate_on_submit():
        outcome = commit(
            lambda: budget_service.save_budget_line(
                _line_data(form),
                by=current_user,
                line=line,
                amounts={y: f.data for y, f in form.amount_fields()},
                base_loads={y: f.data for y, f in form.base_load_fields()},
                expected_version=form.version_id.data,
            ),
            form=form,
        )
        if outcome.ok:
            flash(f"Haushaltsstelle {line.label} wurde gespeichert.", "success")
            return redirect(url_for("budget.line_detail", line_id=line.id))
        line = db.session.get(BudgetLine, line_id) or abort(404)
        if outcome.conflict:
            conflict = budget_service.current_line_values(line, settings.horizon)
            form.version_id.data = str(line.version_id)
            status = 409
        else:
            status = 400
    elif request.method == "POST":
        status = 400
    return render_template("budget/line_form.html", form=form, line=line, conflict=conflict), status


@bp.route("/stellen/<int:line_id>")
@permission_required(rules.may_read_budget)
def line_detail(line_id: int) -> str:
    """One budget line: amounts of all years, VE (archived ones too), coverage, measures."""
    line = db.session.get(BudgetLine, line_id) or abort(404)
    params = _params()
    table = coverage_table(
        params["years"],
        Grouping.BUDGET_LINE,
        include_submitted=params["scenario"],
        department_id=line.department_id,
    )
    row = next((r for r in table.rows if r.key == line.id), None)
    total = count_line_measures(line.id, params["years"], include_submitted=params["scenario"])
    page, pages, page_message = page_from_args(total, LINE_MEASURES_PAGE_SIZE)
    measures = line_measures_page(
        line.id,
        params["years"],
        include_submitted=params["scenario"],
        offset=(page - 1) * LINE_MEASURES_PAGE_SIZE,
        limit=LINE_MEASURES_PAGE_SIZE,
    )
    commitment_form = CommitmentForm(
        data={"granted_year": params["current_year"], "due_year": params["current_year"] + 1}
    )
    return render_template(
        "budget/line_detail.html",
        line=line,
        row=row,
        measures=measures,
        measure_count=total,
        page=page,
        pages=pages,
        page_message=page_message,
        commitments=budget_service.commitment_rows(line.id),
        warnings=budget_service.commitment_warnings(params["years"], line.id),
        captions={y: year_caption(y, params["budget_year"]) for y in params["years"]},
        commitment_form=commitment_form,
        archive_form=ArchiveForm(),
        can_edit=rules.may_edit_budget(current_user),
        line_execution=execution_views.line_include(line.id, params["budget_year"]),
        **params,
    )


@bp.route("/stellen/<int:line_id>/ve", methods=["POST"])
@permission_required(rules.may_edit_budget)
def commitment_add(line_id: int) -> ResponseReturnValue:
    """Add a VE to a budget line (optionally for one of its measures)."""
    line = db.session.get(BudgetLine, line_id) or abort(404)
    form = CommitmentForm()
    if form.validate_on_submit():
        outcome = commit(
            lambda: budget_service.add_commitment(
                line,
                required(form.granted_year.data),
                required(form.due_year.data),
                required(form.amount.data),
                by=current_user,
                measure_id=form.measure_id.data,
                purpose=form.purpose.data or "",
            ),
            form=form,
        )
        if outcome.ok:
            flash("Die Verpflichtungsermächtigung wurde gespeichert.", "success")
            return redirect(url_for("budget.line_detail", line_id=line.id) + "#ve")
    params = _params()
    return (
        render_template(
            "budget/commitment_form.html", form=form, line=line, budget_year=params["budget_year"]
        ),
        400,
    )


@bp.route("/ve/<int:commitment_id>/archivieren", methods=["POST"])
@permission_required(rules.may_edit_budget)
def commitment_archive(commitment_id: int) -> ResponseReturnValue:
    """Archive a VE: it counts nowhere any more but stays readable (never deleted)."""
    commitment = db.session.get(CommitmentAuthorization, commitment_id) or abort(404)
    line_id = commitment.budget_line_id
    if not ArchiveForm().validate_on_submit():
        abort(400)
    if commit(lambda: budget_service.archive_commitment(commitment, by=current_user)).ok:
        flash("Die Verpflichtungsermächtigung wurde archiviert.", "success")
    return redirect(url_for("budget.line_detail", line_id=line_id) + "#ve")


# --- Deckungsringe ----------------------------------------------------------------------


def _ring_form(ring: CoverageRing | None = None, **kwargs: Any) -> RingForm:
    settings = get_settings()
    form = RingForm(**kwargs)
    years = sorted({*settings.horizon, *([ring.year] if ring is not None else [])})
    form.year.choices = [(y, str(y)) for y in years]
    form.line_ids.choices = [
        (line.id, f"{line.label} – {line.name} ({line.kind.label})")
        for line in budget_service.budget_lines()
    ]
    return form


@bp.route("/deckungsringe")
@permission_required(rules.may_read_budget)
def rings() -> str:
    """All Deckungsringe by year with their lines."""
    return render_template(
        "budget/rings.html",
        rings=ring_service.rings(),
        can_edit=rules.may_edit_budget(current_user),
        dissolve_form=ArchiveForm(),
    )


@bp.route("/deckungsringe/neu", methods=["GET", "POST"], defaults={"ring_id": None})
@bp.route("/deckungsringe/<int:ring_id>", methods=["GET", "POST"])
@permission_required(rules.may_edit_budget)
def ring_edit(ring_id: int | None) -> ResponseReturnValue:
    """Create or change a Deckungsring."""
    ring = None
    if ring_id is not None:
        ring = db.session.get(CoverageRing, ring_id) or abort(404)
    if ring is not None and request.method == "GET":
        form = _ring_form(
            ring,
            data={
                "name": ring.name,
                "year": ring.year,
                "kind": ring.kind.value,
                "line_ids": [m.budget_line_id for m in ring.members],
                "note": ring.note,
                "version_id": str(ring.version_id),
            },
        )
    else:
        form = _ring_form(ring, data={"year": get_settings().budget_year})
    status = 200
    if form.validate_on_submit():
        data = ring_service.RingData(
            name=form.name.data or "",
            year=form.year.data,
            kind=BudgetKind(form.kind.data),
            line_ids=list(form.line_ids.data or []),
            note=form.note.data or "",
        )
        outcome = commit(
            lambda: ring_service.save_ring(
                data, by=current_user, ring=ring, expected_version=form.version_id.data
            ),
            form=form,
        )
        if outcome.ok:
            flash(f"Deckungsring „{data.name.strip()}“ wurde gespeichert.", "success")
            return redirect(url_for("budget.rings"))
        status = 409 if outcome.conflict else 400
        if ring is not None:
            fresh = db.session.get(CoverageRing, ring.id)
            form.version_id.data = str(fresh.version_id) if fresh is not None else ""
    elif request.method == "POST":
        status = 400
    return render_template("budget/ring_form.html", form=form, ring=ring), status


@bp.route("/deckungsringe/<int:ring_id>/aufloesen", methods=["POST"])
@permission_required(rules.may_edit_budget)
def ring_dissolve(ring_id: int) -> ResponseReturnValue:
    """Dissolve a ring (its lines stand alone again; the audit log keeps it)."""
    ring = db.session.get(CoverageRing, ring_id) or abort(404)
    if not ArchiveForm().validate_on_submit():
        abort(400)
    name = ring.name
    version = request.form.get("version_id")
    if commit(
        lambda: ring_service.dissolve_ring(ring, by=current_user, expected_version=version)
    ).ok:
        flash(f"Deckungsring „{name}“ wurde aufgelöst.", "success")
    return redirect(url_for("budget.rings"))


# --- Import -----------------------------------------------------------------------------


def _import_page(form: ImportForm, status: int = 200, **context: Any) -> tuple[str, int]:
    settings = get_settings()
    context.setdefault("preview", None)
    context.setdefault("apply_form", None)
    context.setdefault("file_error", None)
    return (
        render_template(
            "budget/import.html",
            form=form,
            horizon=settings.horizon,
            **context,
        ),
        status,
    )


@bp.route("/import", methods=["GET", "POST"])
@permission_required(rules.may_edit_budget)
def import_upload() -> tuple[str, int]:
    """Upload a spreadsheet and show the validated preview (nothing is written)."""
    form = ImportForm()
    if request.method == "GET":
        return _import_page(form)
    if not form.validate_on_submit():
        return _import_page(form, 400)
    upload = form.file.data
    data = upload.read(import_service.MAX_IMPORT_BYTES + 1)
    try:
        preview = import_service.preview_file(upload.filename, data, get_settings().horizon)
    except import_service.ImportRejected as error:
        form.file.errors = [*form.file.errors, error.message]
        return _import_page(form, 400, file_error=error.message)
    apply_form = None
    if preview.ok:
        token = import_service.store_preview(
            preview, user_id=current_user.id, storage_dir=_import_dir()
        )
        apply_form = ImportApplyForm(formdata=None, data={"token": token})
    db.session.rollback()  # the preview only reads
    return _import_page(
        form,
        200 if preview.ok else 400,
        preview=preview,
        apply_form=apply_form,
        filename=upload.filename,
    )


@bp.route("/import/uebernehmen", methods=["POST"])
@permission_required(rules.may_edit_budget)
def import_apply() -> ResponseReturnValue:
    """Apply a stored preview as a background job; the job page shows progress and result.

    The job validates the whole file again before writing and writes in short transactions.
    """
    apply_form = ImportApplyForm()
    if not apply_form.validate_on_submit():
        flash("Die Übernahme war nicht möglich. Bitte die Datei erneut hochladen.", "danger")
        return redirect(url_for("budget.import_upload"))
    return job_response("import_apply", {"token": apply_form.token.data})


@bp.route("/import/vorlage.<fmt>")
@permission_required(rules.may_edit_budget)
def import_template(fmt: str) -> Response:
    """The template file for the import (XLSX or CSV)."""
    horizon = get_settings().horizon
    if fmt == "xlsx":
        return _download(
            import_service.template_xlsx(horizon),
            "vorlage_ansaetze.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    if fmt == "csv":
        return _download(
            import_service.template_csv(horizon), "vorlage_ansaetze.csv", "text/csv; charset=utf-8"
        )
    abort(404)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    """An upload above the app's limit: a clear message on the import page."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    message = (
        "Die Datei ist zu groß. Erlaubt sind höchstens "
        f"{import_service.MAX_IMPORT_BYTES // (1024 * 1024)} MB"
        + (f" (Obergrenze der Anwendung: {limit // (1024 * 1024)} MB)." if limit else ".")
    )
    form = ImportForm(formdata=None)
    form.file.errors = [message]
    return _import_page(form, 413, file_error=message)


# --- Budget year ------------------------------------------------------------------------


@bp.route("/haushaltsjahr", methods=["GET", "POST"])
@permission_required(rules.may_roll_budget_year)
def rollover() -> ResponseReturnValue:
    """Move the budget year (and so the horizon) one year forward; the treasury decides the
    carry-forward of unused authorizations in the same step."""
    settings = get_settings()
    carry = execution_views.rollover_context()
    form = rollover_form(carry["candidates"], data={"new_year": settings.budget_year + 1})
    if form.validate_on_submit():
        old_year = settings.budget_year
        new_year = required(form.new_year.data)
        outcome = commit(
            lambda: carry_service.roll_with_carry_forward(
                by=current_user, new_year=new_year, decisions=form.decisions()
            ),
            form=form,
        )
        if outcome.ok:
            flash(
                f"Das Haushaltsjahr ist jetzt {new_year}. Die Zahlen von {old_year} "
                f"bleiben unter „Haushalt“ (Auswahl Haushaltsjahr {old_year}) lesbar.",
                "success",
            )
            return redirect(url_for("budget.index"))
    status = 400 if form.errors else 200
    return (
        render_template("budget/rollover.html", form=form, settings=settings, **carry),
        status,
    )
