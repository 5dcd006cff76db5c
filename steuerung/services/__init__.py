"""Domain logic: workflow, scoring, coverage, exports. No request objects in here."""
