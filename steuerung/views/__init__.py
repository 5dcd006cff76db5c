"""Blueprints, one per user area."""

from steuerung.views import auth, main

BLUEPRINTS = [auth.bp, main.bp]
