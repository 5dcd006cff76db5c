"""Dashboards, the start page and the council report."""
