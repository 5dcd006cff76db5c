"""Register: the central register of all measures and its CSV/XLSX exports."""

from __future__ import annotations

from flask import (
    render_template,
    request,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from steuerung.models import (
    MeasureCategory,
    MeasureStatus,
)
from steuerung.services.jobs import args_to_params
from steuerung.services.portfolio import rules
from steuerung.services.portfolio.register import (
    NO_OWNER,
    NO_REPORT,
    SORT_COLUMNS,
    active_filters,
    filter_options,
    parse_register_args,
    search_register,
)
from steuerung.views.access import permission_required
from steuerung.views.jobs import job_response
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


@bp.route("/register.csv")
@permission_required(rules.may_read_register)
def register_csv() -> ResponseReturnValue:
    """The current selection (all pages) as German CSV (background job, cached)."""
    return job_response("register_csv", {"args": args_to_params(request.args)})


@bp.route("/register.xlsx")
@permission_required(rules.may_read_register)
def register_xlsx() -> ResponseReturnValue:
    """The selection (all pages) as XLSX with numbers, sums and a parameter sheet (job)."""
    return job_response("register_xlsx", {"args": args_to_params(request.args)})
