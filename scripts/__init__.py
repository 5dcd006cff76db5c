"""Helper scripts: local servers for tests and load runs (loopback only)."""
