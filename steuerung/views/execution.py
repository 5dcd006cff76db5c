"""Budget execution (Haushaltsvollzug): available funds, actuals import, import profiles,
carry-forwards, the order key of measures and the investment programme.

The treasury imports actuals and decides carry-forwards; everyone who reads the budget reads
the execution figures (``services.budget.rules``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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
from werkzeug.exceptions import RequestEntityTooLarge

from steuerung.extensions import db
from steuerung.forms.base import required
from steuerung.forms.execution import (
    ActualsUploadForm,
    ApplyForm,
    OrderKeyForm,
    ProfileForm,
    SampleForm,
    carry_forward_form,
)
from steuerung.models import ActualsProfile, Measure
from steuerung.models.settings import PLANNING_YEARS
from steuerung.services.budget import actuals as actuals_service
from steuerung.services.budget import carry_forward as carry_service
from steuerung.services.budget import execution as execution_service
from steuerung.services.budget import investment as investment_service
from steuerung.services.budget import rules
from steuerung.services.budget.actuals import MAPPED_FIELDS, ImportRejected, ProfileData
from steuerung.services.budget.exports import year_caption
from steuerung.services.common import charts
from steuerung.services.common.settings import get_settings
from steuerung.views.access import permission_required
from steuerung.views.jobs import job_response
from steuerung.views.paging import page_from_args
from steuerung.views.transaction import commit

bp = Blueprint("execution", __name__, url_prefix="/haushalt/vollzug")

#: URL names of the table views (German) -> grouping.
VIEWS = {
    "stelle": execution_service.ExecutionGrouping.LINE,
    "fachbereich": execution_service.ExecutionGrouping.DEPARTMENT,
    "art": execution_service.ExecutionGrouping.KIND,
}
VIEW_TITLES = {
    "stelle": "Nach Haushaltsstelle",
    "fachbereich": "Nach Fachbereich",
    "art": "Nach Haushaltsteil",
}
#: Measures with warnings listed on the overview page (all of them are in the exports).
MEASURE_WARNINGS_SHOWN = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _storage_dir() -> Path:
    return Path(current_app.instance_path) / "imports" / "actuals"


def _year() -> int:
    """The year from ``?jahr=`` (the budget year if missing or out of range)."""
    budget_year = get_settings().budget_year
    year = request.args.get("jahr", type=int) or budget_year
    if not budget_year - actuals_service.YEARS_BACK <= year <= budget_year + PLANNING_YEARS:
        year = budget_year
    return year


def _year_choices() -> list[int]:
    budget_year = get_settings().budget_year
    known = set(execution_service.years_with_actuals())
    return sorted({budget_year, budget_year - 1, *known}, reverse=True)


@bp.route("/")
@permission_required(rules.may_read_execution)
def index() -> str:
    """Available funds per line (or department, budget part) in a year, with warnings."""
    year = _year()
    view = request.args.get("ansicht", "stelle")
    if view not in VIEWS:
        view = "stelle"
    table = execution_service.execution_table(year, VIEWS[view])
    measures, measure_count = execution_service.measures_with_warnings(
        year, snapshot=table.snapshot, limit=MEASURE_WARNINGS_SHOWN
    )
    return render_template(
        "execution/index.html",
        table=table,
        year=year,
        view=view,
        views=VIEW_TITLES,
        year_choices=_year_choices(),
        budget_year=get_settings().budget_year,
        measures=measures,
        measure_count=measure_count,
        carried=carry_service.carried_into(year),
        snapshots=execution_service.snapshots(year),
    )


@bp.route("/stand/<int:snapshot_id>")
@permission_required(rules.may_read_execution)
def snapshot(snapshot_id: int) -> str:
    """One (possibly older) import: its figures per line, as imported."""
    info = execution_service.snapshot_info(snapshot_id) or abort(404)
    return render_template(
        "execution/snapshot.html",
        snap=info,
        rows=execution_service.snapshot_lines(snapshot_id),
        current_id=execution_service.latest_snapshot_id(info.year),
    )


# --- Import -------------------------------------------------------------------------------


def _upload_form(**kwargs: Any) -> ActualsUploadForm:
    form = ActualsUploadForm(**kwargs)
    form.profile_id.choices = [(p.id, p.name) for p in actuals_service.profiles()]
    return form


def _default_as_of() -> date:
    """The last month end: monthly exports are taken at the end of a month."""
    return date.today().replace(day=1) - timedelta(days=1)


def _import_page(form: ActualsUploadForm, status: int = 200, **context: Any) -> tuple[str, int]:
    context.setdefault("preview", None)
    context.setdefault("apply_form", None)
    context.setdefault("file_error", None)
    return (
        render_template(
            "execution/import.html",
            form=form,
            snapshots=execution_service.snapshots()[:24],
            **context,
        ),
        status,
    )


@bp.route("/import", methods=["GET", "POST"])
@permission_required(rules.may_import_actuals)
def import_upload() -> ResponseReturnValue:
    """Upload an export and show the checked preview (nothing is written)."""
    settings = get_settings()
    if request.method == "GET":
        form = _upload_form(
            formdata=None, data={"as_of": _default_as_of(), "year": settings.budget_year}
        )
        if not form.profile_id.choices:
            flash(
                "Bitte zuerst ein Importprofil für den Export Ihrer Finanzsoftware anlegen.", "info"
            )
            return redirect(url_for("execution.profiles"))
        return _import_page(form)
    form = _upload_form()
    if not form.validate_on_submit():
        return _import_page(form, 400)
    profile = db.session.get(ActualsProfile, form.profile_id.data) or abort(404)
    upload = form.file.data
    data = upload.read(actuals_service.MAX_ACTUALS_BYTES + 1)
    try:
        preview = actuals_service.preview_file(
            upload.filename,
            data,
            profile,
            as_of=required(form.as_of.data),
            default_year=required(form.year.data),
            budget_year=settings.budget_year,
        )
    except ImportRejected as error:
        form.file.errors = [*form.file.errors, error.message]
        return _import_page(form, 400, file_error=error.message)
    apply_form = None
    if preview.ok and not preview.unchanged:
        token = actuals_service.store_preview(
            preview, user_id=current_user.id, storage_dir=_storage_dir()
        )
        apply_form = ApplyForm(formdata=None, data={"token": token})
    db.session.rollback()  # the preview only reads
    return _import_page(
        form,
        200 if preview.ok else 400,
        preview=preview,
        apply_form=apply_form,
    )


@bp.route("/import/uebernehmen", methods=["POST"])
@permission_required(rules.may_import_actuals)
def import_apply() -> ResponseReturnValue:
    """Apply a stored preview as a background job (all rows of every year or nothing)."""
    form = ApplyForm()
    if not form.validate_on_submit():
        flash("Die Übernahme war nicht möglich. Bitte die Datei erneut hochladen.", "danger")
        return redirect(url_for("execution.import_upload"))
    return job_response("actuals_apply", {"token": form.token.data})


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    """An upload above the app's limit: a clear message on the import page."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    message = (
        "Die Datei ist zu groß. Erlaubt sind höchstens "
        f"{actuals_service.MAX_ACTUALS_BYTES // (1024 * 1024)} MB"
        + (f" (Obergrenze der Anwendung: {limit // (1024 * 1024)} MB)." if limit else ".")
    )
    form = _upload_form(
        formdata=None, data={"as_of": _default_as_of(), "year": get_settings().budget_year}
    )
    form.file.errors = [message]
    return _import_page(form, 413, file_error=message)


# --- Import profiles ----------------------------------------------------------------------


@bp.route("/profile")
@permission_required(rules.may_import_actuals)
def profiles() -> str:
    """The saved import profiles and the start of a new one (sample file)."""
    return render_template(
        "execution/profiles.html",
        profiles=actuals_service.profiles(),
        sample_form=SampleForm(formdata=None),
        labels=dict(MAPPED_FIELDS),
    )


def _profile_page(
    form: ProfileForm, profile: ActualsProfile | None, headers: list[str], status: int = 200
) -> tuple[str, int]:
    return (
        render_template("execution/profile_form.html", form=form, profile=profile, headers=headers),
        status,
    )


@bp.route("/profile/beispiel", methods=["POST"])
@permission_required(rules.may_import_actuals)
def profile_sample() -> tuple[str, int]:
    """Read the column names of a sample export and propose a mapping."""
    sample = SampleForm()
    if not sample.validate_on_submit():
        return (
            render_template(
                "execution/profiles.html",
                profiles=actuals_service.profiles(),
                sample_form=sample,
                labels=dict(MAPPED_FIELDS),
            ),
            400,
        )
    upload = sample.file.data
    data = upload.read(actuals_service.MAX_ACTUALS_BYTES + 1)
    try:
        file_type, headers = actuals_service.header_names(
            upload.filename,
            data,
            sheet_name=(sample.sheet_name.data or "").strip(),
            header_row=required(sample.header_row.data),
        )
    except ImportRejected as error:
        sample.file.errors = [error.message]
        return (
            render_template(
                "execution/profiles.html",
                profiles=actuals_service.profiles(),
                sample_form=sample,
                labels=dict(MAPPED_FIELDS),
            ),
            400,
        )
    guessed = actuals_service.guess_mapping(headers)
    combined = "col_line_key" in guessed and "col_product" not in guessed
    form = ProfileForm(
        formdata=None,
        data={
            "name": Path(upload.filename or "").stem[:120],
            "file_type": file_type.value,
            "sheet_name": (sample.sheet_name.data or "").strip(),
            "header_row": sample.header_row.data,
            "key_mode": "combined" if combined else "columns",
            "key_separator": "/",
            "decimal_style": "german",
            **{k: v for k, v in guessed.items() if combined or k != "col_line_key"},
        },
    )
    return _profile_page(form, None, headers)


def _profile_data(form: ProfileForm) -> ProfileData:
    values = {name: form[name].data or "" for name, _ in MAPPED_FIELDS}
    return ProfileData(
        name=form.name.data or "",
        file_type=form.file_type.data,
        sheet_name=form.sheet_name.data or "",
        header_row=form.header_row.data or 0,
        key_mode=form.key_mode.data,
        key_separator=form.key_separator.data or "",
        decimal_style=form.decimal_style.data,
        **values,
    )


@bp.route("/profile/neu", methods=["POST"])
@permission_required(rules.may_import_actuals)
def profile_new() -> ResponseReturnValue:
    """Save a new profile (from the mapping form)."""
    form = ProfileForm()
    headers = request.form.getlist("spaltennamen")
    if form.validate_on_submit():
        outcome = commit(
            lambda: actuals_service.save_profile(_profile_data(form), by=current_user), form=form
        )
        if outcome.ok and outcome.value is not None:
            flash(f"Importprofil „{outcome.value.name}“ wurde gespeichert.", "success")
            return redirect(url_for("execution.import_upload"))
    return _profile_page(form, None, headers, 400)


@bp.route("/profile/<int:profile_id>", methods=["GET", "POST"])
@permission_required(rules.may_import_actuals)
def profile_edit(profile_id: int) -> ResponseReturnValue:
    """Change a profile (e.g. after the finance software renamed a column)."""
    profile = db.session.get(ActualsProfile, profile_id) or abort(404)
    headers = [getattr(profile, name) for name, _ in MAPPED_FIELDS if getattr(profile, name)]
    if request.method == "GET":
        data = {name: getattr(profile, name) for name in ProfileData.__dataclass_fields__}
        data.update(
            file_type=profile.file_type.value,
            key_mode=profile.key_mode.value,
            decimal_style=profile.decimal_style.value,
            version_id=str(profile.version_id),
        )
        return _profile_page(ProfileForm(formdata=None, data=data), profile, headers)
    form = ProfileForm()
    if form.validate_on_submit():
        outcome = commit(
            lambda: actuals_service.save_profile(
                _profile_data(form),
                by=current_user,
                profile=profile,
                expected_version=form.version_id.data,
            ),
            form=form,
        )
        if outcome.ok:
            flash(f"Importprofil „{profile.name}“ wurde gespeichert.", "success")
            return redirect(url_for("execution.profiles"))
        status = 409 if outcome.conflict else 400
    else:
        status = 400
    fresh = db.session.get(ActualsProfile, profile_id) or abort(404)
    return _profile_page(form, fresh, headers, status)


# --- Carry-forward ------------------------------------------------------------------------


def _carry_page(form: Any, status: int = 200) -> tuple[str, int]:
    budget_year = get_settings().budget_year
    from_year = budget_year - 1
    return (
        render_template(
            "execution/carry_forward.html",
            form=form,
            from_year=from_year,
            to_year=budget_year,
            carried=carry_service.carried_into(budget_year),
            may_decide=rules.may_decide_carry_forward(current_user),
        ),
        status,
    )


@bp.route("/uebertragungen")
@permission_required(rules.may_read_execution)
def carry_forward() -> tuple[str, int]:
    """Carry-forwards into the budget year; the treasury corrects its decisions here."""
    from_year = get_settings().budget_year - 1
    form = carry_forward_form(carry_service.candidates(from_year), formdata=None)
    return _carry_page(form)


@bp.route("/uebertragungen", methods=["POST"])
@permission_required(rules.may_decide_carry_forward)
def carry_forward_save() -> ResponseReturnValue:
    """Save corrected carry-forward decisions of the year just closed."""
    from_year = get_settings().budget_year - 1
    form = carry_forward_form(carry_service.candidates(from_year))
    if form.validate_on_submit():
        outcome = commit(
            lambda: carry_service.decide(from_year, form.decisions(), by=current_user), form=form
        )
        if outcome.ok:
            flash("Die Übertragungen wurden gespeichert.", "success")
            return redirect(url_for("execution.carry_forward"))
        return _carry_page(form, 409 if outcome.conflict else 400)
    return _carry_page(form, 400)


# --- Order key of a measure -----------------------------------------------------------------


@bp.route("/massnahmen/<int:measure_id>/auftrag", methods=["POST"])
@permission_required(rules.may_set_order_key)
def order_key(measure_id: int) -> ResponseReturnValue:
    """Enter the finance software's order key of a measure (from the measure's cost tab)."""
    measure = db.session.get(Measure, measure_id) or abort(404)
    form = OrderKeyForm()
    target = url_for("measures.detail", measure_id=measure.id, tab="kosten") + "#vollzug"
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "danger")
        return redirect(target)
    outcome = commit(
        lambda: actuals_service.set_order_key(
            measure,
            form.order_key.data or "",
            by=current_user,
            expected_version=form.version_id.data,
        )
    )
    if outcome.ok:
        flash("Der Auftrag in der Finanzsoftware wurde gespeichert.", "success")
    return redirect(target)


# --- Investment programme -------------------------------------------------------------------


def _horizon() -> list[int]:
    settings = get_settings()
    budget_year = request.args.get("hj", type=int) or settings.budget_year
    if not 2000 <= budget_year <= 2100 - PLANNING_YEARS:
        budget_year = settings.budget_year
    return [budget_year + i for i in range(PLANNING_YEARS + 1)]


@bp.route("/investitionsprogramm")
@permission_required(rules.may_read_execution)
def investment() -> str:
    """The investment programme per Investitionsnummer."""
    years = _horizon()
    return render_template(
        "execution/investment.html",
        programme=investment_service.investment_programme(years),
        years=years,
        captions={y: year_caption(y, years[0]) for y in years},
        current_year=get_settings().budget_year,
    )


@bp.route("/investitionsprogramm.xlsx")
@permission_required(rules.may_read_execution)
def investment_xlsx() -> Response:
    """The investment programme as XLSX (numbers, sums, German formats)."""
    years = _horizon()
    data = investment_service.programme_xlsx(
        investment_service.investment_programme(years),
        who=f"{current_user.full_name} ({current_user.role.label})",
        exported_at=datetime.now(UTC).astimezone().replace(tzinfo=None),
    )
    response = Response(data, content_type=XLSX)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="investitionsprogramm_{years[0]}.xlsx"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# --- Includes on other areas' pages (budget line, measure, dashboard, rollover) -------------


@dataclass
class LineInclude:
    """What ``execution/_line.html`` shows on a budget line's page."""

    year: int
    budget_year: int
    line: execution_service.LineExecution | None
    #: One page of the line's measures (those with warnings first), of ``measure_count``.
    measures: list[execution_service.MeasureExecution]
    snapshot: execution_service.SnapshotInfo | None
    carried: list[carry_service.CarriedRow]
    measure_count: int
    page: int
    pages: int
    page_message: str | None
    #: The page's own URL arguments, for the page links of the measures.
    link_args: dict[str, Any]


#: Measures per page in a line's execution table (``?vseite=``; a line can carry thousands).
LINE_EXECUTION_PAGE_SIZE = 50


def line_include(line_id: int, year: int) -> LineInclude:
    """Execution of a budget line in ``year`` for its page."""
    line, measures, snap = execution_service.line_execution(line_id, year)
    page, pages, message = page_from_args(len(measures), LINE_EXECUTION_PAGE_SIZE, "vseite")
    start = (page - 1) * LINE_EXECUTION_PAGE_SIZE
    return LineInclude(
        year=year,
        budget_year=get_settings().budget_year,
        line=line,
        measures=measures[start : start + LINE_EXECUTION_PAGE_SIZE],
        snapshot=snap,
        carried=carry_service.carried_into(year, line_id),
        measure_count=len(measures),
        page=page,
        pages=pages,
        page_message=message,
        link_args={**(request.view_args or {}), **request.args.to_dict()},
    )


@dataclass
class MeasureInclude:
    """What ``execution/_measure.html`` shows in a measure's cost tab."""

    years: list[execution_service.MeasureYear]
    order_key: str
    form: OrderKeyForm


def measure_include(measure: Measure) -> MeasureInclude | None:
    """Plan, Ist and Obligo of the last years for ``measure`` (None if the user may not see
    them): the budget year and the two before it."""
    if not rules.may_read_measure_execution(current_user, measure):
        return None
    budget_year = get_settings().budget_year
    years = [budget_year, budget_year - 1, budget_year - 2]
    form = OrderKeyForm(
        formdata=None,
        data={"order_key": measure.order_key or "", "version_id": str(measure.version_id)},
    )
    return MeasureInclude(
        execution_service.measure_years(measure.id, years), measure.order_key or "", form
    )


def dashboard_include(year: int, department_id: int | None) -> tuple[Any, str] | None:
    """The dashboard's execution tile data and chart figure (None if not allowed)."""
    if not rules.may_read_execution(current_user):
        return None
    overview = execution_service.execution_overview(year, department_id=department_id)
    return overview, charts.execution_burn(overview)


def rollover_context() -> dict[str, Any]:
    """The carry-forward step of the year change: candidates of the closing year."""
    from_year = get_settings().budget_year
    may_decide = rules.may_decide_carry_forward(current_user)
    candidates = carry_service.candidates(from_year) if may_decide else []
    return {
        "candidates": candidates,
        "from_year": from_year,
        "carry_rows_available": bool(candidates),
        "snapshot": execution_service.snapshot_info(
            execution_service.latest_snapshot_id(from_year)
        ),
    }
