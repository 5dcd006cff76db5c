"""Blueprints, one per user area."""

from steuerung.views import (
    admin,
    agenda,
    auth,
    budget,
    dashboard,
    jobs,
    main,
    maturity,
    measures,
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
    maturity.bp,
    portfolio.bp,
    agenda.bp,
    profile.bp,
    jobs.bp,
    transparency.bp,
]
