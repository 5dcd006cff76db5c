"""WSGI entry point: ``app = create_app()``."""

from steuerung import create_app

app = create_app()
