"""Register: the central register of all measures and its CSV/XLSX exports."""

from __future__ import annotations

from datetime import date

from flask import (
    Response,
    render_template,
    request,
)
from flask_login import current_user

from steuerung.models import (
    MeasureCategory,
    MeasureStatus,
)
from steuerung.services.budget.exports import Sheet, write_csv, write_xlsx
from steuerung.services.portfolio import rules
from steuerung.services.portfolio.register import (
    NO_OWNER,
    NO_REPORT,
    SORT_COLUMNS,
    active_filters,
    export_parameters,
    export_table,
    filter_options,
    parse_register_args,
    search_register,
)
from steuerung.views.access import permission_required
from steuerung.views.portfolio._common import bp

# --------------------------------------------------------------------------- register


@bp.route("/register")
@permission_required(rules.may_read_register)
def register() -> str:
    """The central register: filters, search, sort and pages from the URL (GET form)."""
    params = parse_register_args(request.args)
    result = search_register(current_user, params)
    options = filter_options(current_user)
    return render_template(
        "portfolio/register.html",
        result=result,
        params=params,
        options=options,
        active_filters=active_filters(params, options),
        sort_columns=SORT_COLUMNS,
        statuses=list(MeasureStatus),
        categories=list(MeasureCategory),
        no_owner=NO_OWNER,
        no_report=NO_REPORT,
        export_args=params.url_args(page=None, per_page=None),
    )


def _export_filename(ext: str) -> str:
    return f"register-{date.today().isoformat()}.{ext}"


@bp.route("/register.csv")
@permission_required(rules.may_read_register)
def register_csv() -> Response:
    """The current selection (all pages) as German CSV."""
    params = parse_register_args(request.args)
    result = search_register(current_user, params, paginate=False)
    columns, rows, _money = export_table(result)
    return Response(
        write_csv(columns, rows),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{_export_filename("csv")}"',
            "Content-Type": "text/csv; charset=utf-8",
        },
    )


@bp.route("/register.xlsx")
@permission_required(rules.may_read_register)
def register_xlsx() -> Response:
    """The current selection (all pages) as XLSX with numbers, sums and a parameter sheet."""
    params = parse_register_args(request.args)
    result = search_register(current_user, params, paginate=False)
    columns, rows, money = export_table(result)
    parameters: list[tuple[str, object]] = [
        ("Export", "Maßnahmenregister"),
        ("Erstellt am", date.today()),
        ("Erstellt von", current_user.full_name),
        ("Haushaltsjahr", result.horizon[0]),
        *export_parameters(params, result),
    ]
    if params.errors:
        parameters.append(("Hinweis", " ".join(params.errors)))
    data = write_xlsx(
        [Sheet(title="Register", columns=columns, rows=rows, money_columns=money)], parameters
    )
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{_export_filename("xlsx")}"'},
    )
