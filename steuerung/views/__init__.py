"""Blueprints, one per user area."""

from steuerung.views import admin, auth, budget, dashboard, main, measures

BLUEPRINTS = [auth.bp, main.bp, admin.bp, dashboard.bp, measures.bp, budget.bp]
