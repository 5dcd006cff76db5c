"""Blueprints, one per user area."""

from steuerung.views import (
    admin,
    agenda,
    api,
    auth,
    budget,
    dashboard,
    execution,
    grants,
    jobs,
    main,
    maturity,
    measures,
    planning,
    portfolio,
    profile,
    transparency,
)

BLUEPRINTS = [
    auth.bp,
    main.bp,
    admin.bp,
    dashboard.bp,
    measures.bp,
    budget.bp,
    execution.bp,
    planning.bp,
    grants.bp,
    maturity.bp,
    portfolio.bp,
    agenda.bp,
    profile.bp,
    jobs.bp,
    api.bp,
    transparency.bp,
]
