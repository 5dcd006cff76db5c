"""Shared parts of the services: errors, audit trail, settings, charts, spreadsheets."""
