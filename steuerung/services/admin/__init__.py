"""Administration: accounts, users, departments, settings."""
