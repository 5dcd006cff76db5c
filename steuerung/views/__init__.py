"""Blueprints, one per user area."""

from steuerung.views import (
    admin,
    agenda,
    api,
    auth,
    budget,
    dashboard,
    jobs,
    main,
    maturity,
    measures,
    portfolio,
    profile,
)

BLUEPRINTS = [
    auth.bp,
    main.bp,
    admin.bp,
    dashboard.bp,
    measures.bp,
    budget.bp,
    maturity.bp,
    portfolio.bp,
    agenda.bp,
    profile.bp,
    jobs.bp,
    api.bp,
]
