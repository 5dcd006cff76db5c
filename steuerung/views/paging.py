"""Paging of long lists (``?page=``), shared by every area's views."""

from __future__ import annotations

from flask import request


def page_from_args(total: int, page_size: int, arg: str = "page") -> tuple[int, int, str | None]:
    """The requested page (``?page=``, or ``arg``) of ``total`` entries in pages of
    ``page_size``: the page, the number of pages and a German message when the request named
    no valid page."""
    pages = max(1, -(-total // page_size))
    page_arg = request.args.get(arg, "1")
    if page_arg.isdigit() and 1 <= int(page_arg) <= pages:
        return int(page_arg), pages, None
    return 1, pages, f"Ungültige Seitenzahl „{page_arg[:20]}“: es wird Seite 1 gezeigt."
