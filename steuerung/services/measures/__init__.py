"""Measures: access rules, editing, workflow, status reports."""
