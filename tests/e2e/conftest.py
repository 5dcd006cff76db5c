"""Browser tests: the app served on 127.0.0.1 in a thread, driven by Playwright on Chromium.

Chromium comes from Debian (``/usr/bin/chromium``); ``make test`` installs it with apt when it
runs as root. Without it these tests are skipped with a message naming the package.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from config import TestConfig
from steuerung import create_app
from steuerung.extensions import db as _db
from steuerung.models import Settings
from steuerung.services.security.audit_guard import append_only_suspended
from steuerung.services.security.throttle import limiter

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Mark every test in this folder as e2e and skip loudly without Chromium."""
    here = Path(__file__).parent
    missing = not Path(CHROMIUM).exists()
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.e2e)
            if missing:
                item.add_marker(
                    pytest.mark.skip(
                        reason=f"BROWSER-TESTS ÜBERSPRUNGEN: {CHROMIUM} fehlt "
                        "(Debian-Paket 'chromium' installieren: apt-get install chromium)"
                    )
                )


@pytest.fixture(scope="session")
def e2e_app() -> Iterator[Flask]:
    """An app on its own database file (or on DATABASE_URL), schema created."""
    tmp = tempfile.mkdtemp(prefix="steuerung-e2e-")

    class E2EConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = (
            TestConfig.SQLALCHEMY_DATABASE_URI
            if os.environ.get("DATABASE_URL")
            else f"sqlite:///{tmp}/e2e.db"
        )

    application = create_app(E2EConfig)
    with application.app_context():
        _db.create_all()
    yield application
    with application.app_context():
        _db.session.remove()
        _db.engine.dispose()
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture()
def e2e_db(e2e_app: Flask) -> Iterator[Any]:
    """Session on the e2e database; settings row present; all tables emptied afterwards."""
    with e2e_app.app_context():
        _db.session.add(Settings(id=1, budget_year=2026, kommune_name="Teststadt"))
        _db.session.commit()
        yield _db
        _db.session.remove()
        with _db.engine.begin() as connection, append_only_suspended(connection):
            for table in reversed(_db.metadata.sorted_tables):
                connection.execute(table.delete())
        limiter.reset()


@pytest.fixture()
def live_server(e2e_app: Flask, e2e_db: Any) -> Iterator[str]:
    """Serve the app on a free loopback port in a background thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, e2e_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


#: The laptop screen of issue 10: no page may scroll sideways at this size.
VIEWPORT = {"width": 1366, "height": 768}

#: Runs on every page load: reports the page's width to the test (see ``page``). Measured
#: once more after the load handlers (charts) have run.
_REPORT_WIDTH = """
window.addEventListener("load", function () {
  function report() {
    var d = document.documentElement;
    window.__reportWidth(location.pathname + location.search, d.scrollWidth, d.clientWidth);
  }
  report();
  window.setTimeout(report, 250);
});
"""


def sideways(pg: Any) -> tuple[int, int]:
    """(scrollWidth, clientWidth) of the page now."""
    return tuple(
        pg.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
    )


def assert_no_sideways_scroll(pg: Any) -> None:
    """The page (as it is now) does not scroll sideways."""
    scroll_width, client_width = sideways(pg)
    assert scroll_width <= client_width, (
        f"{pg.url} scrollt seitwärts: {scroll_width} px Inhalt bei {client_width} px Breite"
    )


@pytest.fixture()
def page(browser: Any, live_server: str) -> Iterator[Any]:
    """A fresh browser page at 1366x768; records console errors, requests to other hosts
    and every visited page that scrolls sideways (checked when the test ends)."""
    # Reduced motion: no CSS transitions, so axe never measures a colour half-way through a
    # hover transition of a button that moved under the mouse pointer.
    context = browser.new_context(
        locale="de-DE", base_url=live_server, viewport=VIEWPORT, reduced_motion="reduce"
    )
    pg = context.new_page()
    pg.console_errors = []  # type: ignore[attr-defined]
    pg.foreign_requests = []  # type: ignore[attr-defined]
    pg.visited_widths = {}  # type: ignore[attr-defined]

    def report_width(_source: Any, path: str, scroll_width: int, client_width: int) -> None:
        if pg.viewport_size != VIEWPORT:  # a test looking at a narrow screen on purpose
            return
        known = pg.visited_widths.get(path, (0, client_width))
        pg.visited_widths[path] = (max(known[0], scroll_width), client_width)

    context.expose_binding("__reportWidth", report_width)
    context.add_init_script(_REPORT_WIDTH)
    pg.on(
        "console",
        lambda msg: pg.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    pg.on(
        "request",
        lambda req: (
            pg.foreign_requests.append(req.url)
            if not req.url.startswith(live_server) and not req.url.startswith("data:")
            else None
        ),
    )
    yield pg
    context.close()
    wide = {path: w for path, w in pg.visited_widths.items() if w[0] > w[1]}
    assert not wide, f"Seiten scrollen seitwärts bei 1366 px (Inhalt, Breite): {wide}"


@pytest.fixture()
def check_a11y() -> Callable[[Any], None]:
    """Run axe-core on the page; fail on serious or critical violations."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def _check(pg: Any) -> None:
        if pg.viewport_size == VIEWPORT:
            assert_no_sideways_scroll(pg)
        results = axe.run(pg)
        bad = [
            v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")
        ]
        details = "\n".join(
            f"{v['id']} ({v['impact']}): {v['help']} – "
            + "; ".join(n["target"][0] if n["target"] else "" for n in v["nodes"][:5])
            for v in bad
        )
        assert not bad, f"Barrierefreiheit verletzt auf {pg.url}:\n{details}"

    return _check


def browser_login(pg: Any, username: str, password: str) -> None:
    """Log in through the login form."""
    pg.goto("/auth/login")
    pg.get_by_label("Benutzername").fill(username)
    pg.get_by_label("Passwort").fill(password)
    pg.get_by_role("button", name="Anmelden").click()
    pg.wait_for_load_state()
