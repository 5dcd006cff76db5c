"""The public transparency page: what is published (rules), the published data (queries),
the office's publication switch per measure (publication) and the open data files (export)."""
