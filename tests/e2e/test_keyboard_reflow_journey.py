"""Keyboard, reflow and charts in a real browser (issue 10): the focus indicator measured
against its background, the measure form at 320 px, the measures filter at 200 % zoom,
wide tables scrolled by keyboard with header and first column kept, and the Plotly toolbar
(German, only "download as PNG", no tab stops)."""

from __future__ import annotations

import re

from conftest import PASSWORD, Factory
from dashboard_helpers import build_demo
from playwright.sync_api import expect

from e2e.conftest import VIEWPORT, assert_no_sideways_scroll, browser_login
from steuerung.models import BudgetKind, MeasureStatus, Role

# Focused element, its outline and the colour behind the outline (the element itself when
# the outline is drawn inside it, else its parent; the first opaque background up the tree).
_FOCUS_STYLE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) { return null; }
  // Focus inside a native control's own parts (the calendar button of a date field): the
  // field itself is not focused then, and the part is styled by its own rule.
  if (!el.matches(":focus")) { return null; }
  const style = getComputedStyle(el);
  let node = parseFloat(style.outlineOffset) < 0 ? el : el.parentElement;
  let background = "rgb(255, 255, 255)";
  while (node) {
    const bg = getComputedStyle(node).backgroundColor;
    const alpha = bg.startsWith("rgba") ? parseFloat(bg.split(",")[3]) : 1;
    if (bg !== "transparent" && alpha > 0.5) { background = bg; break; }
    node = node.parentElement;
  }
  return {
    what: el.tagName + (el.id ? "#" + el.id : "") + " " +
      (el.textContent || "").trim().slice(0, 30),
    color: style.outlineColor, style: style.outlineStyle, width: parseFloat(style.outlineWidth),
    background: background
  };
}"""


def _rgb(css: str) -> tuple[int, int, int]:
    r, g, b = (int(float(v)) for v in re.findall(r"[\d.]+", css)[:3])
    return r, g, b


def _contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    def lum(rgb: tuple[int, int, int]) -> float:
        def ch(c: int) -> float:
            s = c / 255
            return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

        return 0.2126 * ch(rgb[0]) + 0.7152 * ch(rgb[1]) + 0.0722 * ch(rgb[2])

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _tab_through(page, steps: int) -> list[tuple[str, float]]:
    """Press Tab ``steps`` times; (element, contrast of its focus outline) for each stop."""
    measured = []
    for _ in range(steps):
        page.keyboard.press("Tab")
        info = page.evaluate(_FOCUS_STYLE)
        if info is None:
            continue
        assert info["style"] != "none" and info["width"] >= 2, info
        ratio = _contrast(_rgb(info["color"]), _rgb(info["background"]))
        measured.append((info["what"], ratio))
    return measured


def _office(e2e_db):
    factory = Factory(e2e_db.session)
    dept = factory.department("FB 3", "Bürgerservice")
    factory.user(Role.SUBMITTER, dept, username="anna")
    factory.user(Role.COORDINATOR, dept, username="kurt")
    factory.user(Role.TREASURY, dept, username="kaemmerer")
    factory.agenda()
    # enough budget lines that the coverage table scrolls both ways
    for n in range(12):
        line = factory.budget_line(dept, amounts={2026: "50000.00", 2027: "40000.00"})
        invest = factory.budget_line(dept, BudgetKind.INVESTIVE, amounts={2026: "80000.00"})
        factory.measure(
            dept,
            MeasureStatus.APPROVED,
            f"Maßnahme mit einem recht langen Titel Nummer {n}",
            costs=[(line, 2026, "10000.00"), (invest, 2027, "5000.00")],
        )
    e2e_db.session.commit()
    return factory


def test_focus_indicator_has_3_to_1_everywhere(page, e2e_db):
    _office(e2e_db)
    browser_login(page, "anna", PASSWORD)
    page.goto("/massnahmen/neu")
    measured = _tab_through(page, 45)  # skip link, navigation, fields, selects, checkboxes
    page.context.clear_cookies()
    browser_login(page, "kurt", PASSWORD)
    page.goto("/portfolio/register?status=approved")
    measured += _tab_through(page, 30)  # navigation on the dark bar, tabs, summaries, links
    kinds = {what.split(" ")[0].split("#")[0] for what, _ in measured}
    assert {"A", "INPUT", "SELECT", "BUTTON", "SUMMARY", "TEXTAREA"} <= kinds, kinds
    weakest = min(measured, key=lambda m: m[1])
    assert weakest[1] >= 3.0, f"Fokus zu schwach: {weakest}"
    print(
        f"Fokuskontrast: {len(measured)} Fokusstopps, schwächster {weakest[1]:.2f}:1 ({weakest[0]})"
    )


def test_measure_form_at_320_px_keeps_every_button_reachable(page, e2e_db, check_a11y):
    _office(e2e_db)
    browser_login(page, "anna", PASSWORD)
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/massnahmen/neu")
    assert_no_sideways_scroll(page)
    buttons = [
        page.get_by_role("button", name="Kostenzeile 3 entfernen"),
        page.get_by_role("button", name="Kostenzeile hinzufügen"),
        page.get_by_role("button", name="Meilenstein hinzufügen"),
        page.get_by_role("button", name="Als Entwurf speichern"),
        page.get_by_role("button", name="Speichern und einreichen"),
        page.get_by_role("link", name="Abbrechen"),
    ]
    for button in buttons:
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320, box
        expect(button).to_be_in_viewport()
    page.get_by_label("Titel", exact=True).fill("Schmal erfasst")
    page.get_by_role("button", name="Als Entwurf speichern").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Die Maßnahme wurde gespeichert.")).to_be_visible()
    assert_no_sideways_scroll(page)


def test_measures_filter_at_200_percent_zoom(page, e2e_db):
    _office(e2e_db)
    browser_login(page, "kurt", PASSWORD)
    # 200 % zoom of a 1366x768 screen: 683x384 CSS pixels
    page.set_viewport_size({"width": VIEWPORT["width"] // 2, "height": VIEWPORT["height"] // 2})
    page.goto("/massnahmen/")
    panel = page.locator(".filter-panel")
    expect(panel.get_by_role("button", name="Filtern")).to_be_visible()
    assert panel.evaluate("el => el.scrollWidth <= el.clientWidth")
    for control in panel.locator("select, input, button, label").all():
        box = control.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORT["width"] // 2, box
    assert_no_sideways_scroll(page)
    page.get_by_label("Status").select_option("approved")
    page.get_by_role("button", name="Filtern").click()
    page.wait_for_load_state()
    expect(page.locator("#filter-zusammenfassung")).to_have_text("Status: Freigegeben")
    assert_no_sideways_scroll(page)


def test_wide_table_scrolls_by_keyboard_with_header_and_first_column_kept(page, e2e_db, check_a11y):
    _office(e2e_db)
    browser_login(page, "kaemmerer", PASSWORD)
    page.goto("/haushalt/")
    region = page.get_by_role("region", name="Deckungstabelle (verschiebbar)")
    expect(region).to_be_visible()
    check_a11y(page)
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")  # it does need to scroll
    region.focus()
    for _ in range(8):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("End")
    # keyboard scrolling is animated: wait until the position stands still
    page.wait_for_function(
        """el => new Promise(done => {
          const at = el.scrollLeft + "," + el.scrollTop;
          requestAnimationFrame(() => requestAnimationFrame(
            () => done(at === el.scrollLeft + "," + el.scrollTop)));
        })""",
        arg=region.element_handle(),
    )
    scroll = region.evaluate("el => [el.scrollLeft, el.scrollTop, el.clientHeight]")
    assert scroll[0] > 0 and scroll[1] > 0, scroll
    box = region.bounding_box()
    first_cell = region.locator("tbody th[scope=row]").first.bounding_box()
    header = region.locator("thead th.fixed-col").bounding_box()
    assert abs(first_cell["x"] - box["x"]) <= 2  # row headers stay at the left
    assert abs(header["y"] - box["y"]) <= 2  # the header stays at the top
    assert_no_sideways_scroll(page)


def test_plotly_toolbar_is_german_trimmed_and_no_tab_stop(page, e2e_db, check_a11y):
    factory = Factory(e2e_db.session)
    fb1 = factory.department("FB 1", "Bürgerservice")
    fb2 = factory.department("FB 2", "Bauen")
    users = {
        "coordinator": factory.user(Role.COORDINATOR, fb1, username="koordination"),
        "leadership": factory.user(Role.LEADERSHIP, fb1, username="leitung"),
        "submitter": factory.user(Role.SUBMITTER, fb1, username="anna"),
        "other_submitter": factory.user(Role.SUBMITTER, fb2, username="bert"),
    }
    build_demo(factory, users, extra=6)
    e2e_db.session.commit()
    browser_login(page, "koordination", PASSWORD)
    page.goto("/dashboard/")
    charts = page.locator(".chart")
    for index in range(charts.count()):
        charts.nth(index).locator(".main-svg").first.wait_for()
    assert charts.count() == 7  # six of the dashboard, one of budget execution
    buttons = page.locator(".modebar button")
    assert buttons.count() == 7  # one per chart: download as PNG, nothing else
    titles = set(buttons.evaluate_all("els => els.map(b => b.getAttribute('data-title'))"))
    labels = set(buttons.evaluate_all("els => els.map(b => b.getAttribute('aria-label'))"))
    assert titles == labels == {"Diagramm als PNG herunterladen"}
    assert buttons.evaluate_all("els => els.every(b => b.tabIndex === -1)")
    # German number format on the axes (thousands dot)
    ticks = page.locator("#chart-deckung .ytick text").evaluate_all(
        "els => els.map(t => t.textContent)"
    )
    assert any(re.fullmatch(r"\d{1,3}(\.\d{3})+", t) for t in ticks), ticks
    # with the keyboard: from the filter form to the end of the page no stop in a chart
    page.get_by_role("button", name="Filtern").focus()
    stops = []
    for _ in range(60):
        page.keyboard.press("Tab")
        stops.append(page.evaluate("!!document.activeElement.closest('.modebar, .chart')"))
    assert not any(stops)
    check_a11y(page)
    assert page.console_errors == [] and page.foreign_requests == []
    assert "/dashboard/" in page.visited_widths  # the sideways check saw the page
