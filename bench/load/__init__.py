"""Load test (``make load``): locust against gunicorn on loopback, SQLite and PostgreSQL."""
