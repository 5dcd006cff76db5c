"""The REST API ``/api/v1/``: one blueprint, token authentication, problem details in German.

The route modules declare their operations (``_framework.api_operation``); importing them
here registers the routes and the document entries in a fixed order.
"""

from __future__ import annotations

from steuerung.extensions import csrf
from steuerung.views.api import agenda, budget, dashboard, docs, measures  # noqa: F401
from steuerung.views.api._framework import api_error_response, bp, is_api_request

# Requests of the API carry a token, never a session cookie that a foreign page could use:
# the CSRF check of the forms does not apply (a cookie alone authorises nothing here).
csrf.exempt(bp)

__all__ = ["api_error_response", "bp", "is_api_request"]
