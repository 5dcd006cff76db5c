"""Journey: a department user creates an API token on "Mein Konto", reads its measures and
reports with it through the API, reads the API's documentation page, and revokes the token."""

from __future__ import annotations

from datetime import date

from conftest import PASSWORD, Factory

from e2e.conftest import browser_login
from steuerung.models import MeasureStatus, Role


def test_department_user_creates_uses_and_revokes_a_token(page, e2e_db, live_server, check_a11y):
    factory = Factory(e2e_db.session)
    dept = factory.department("FB 3", "Bürgerservice")
    user = factory.user(Role.SUBMITTER, dept, username="fb3")
    measure = factory.measure(
        dept,
        MeasureStatus.IN_PROGRESS,
        "Online-Terminvergabe",
        owner=user,
        start_date=date(2026, 1, 1),
    )
    e2e_db.session.commit()

    browser_login(page, "fb3", PASSWORD)
    page.goto("/konto/")
    check_a11y(page)
    page.get_by_label("Name des Zugangsschlüssels").fill("Auswertung Excel")
    page.get_by_label("Gültig für").select_option(label="30 Tage")
    with page.expect_navigation():
        page.get_by_role("button", name="Zugangsschlüssel erzeugen").click()
    secret = page.get_by_label("Ihr Zugangsschlüssel").input_value()
    assert secret.startswith("stg_")
    assert page.get_by_text("nur dieses eine Mal angezeigt").is_visible()
    check_a11y(page)

    # The token works like its user: the own measure, a status report with its version.
    api = page.context.request
    headers = {"Authorization": f"Bearer {secret}"}
    listed = api.get(f"{live_server}/api/v1/measures", headers=headers)
    assert listed.status == 200
    assert [m["title"] for m in listed.json()["items"]] == ["Online-Terminvergabe"]
    version = api.get(f"{live_server}/api/v1/measures/{measure.id}", headers=headers).json()[
        "version"
    ]
    created = api.post(
        f"{live_server}/api/v1/measures/{measure.id}/status-reports",
        headers=headers,
        data={
            "version": version,
            "reported_on": "2026-06-30",
            "schedule_light": "green",
            "cost_light": "green",
            "scope_light": "yellow",
            "progress_percent": 60,
            "text": "Pilot läuft im Bürgerbüro.",
        },
    )
    assert created.status == 201, created.text()
    page.goto(f"/massnahmen/{measure.id}?tab=berichte")
    assert page.get_by_text("Pilot läuft im Bürgerbüro.").is_visible()

    # The readable documentation, linked from the account page.
    page.goto("/konto/")
    with page.expect_navigation():
        page.get_by_role("link", name="REST-API").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Steuerung – REST-API")
    assert page.get_by_role("heading", name="POST /measures/{measure_id}/status-reports").count()
    check_a11y(page)

    page.goto("/konto/#api-zugang")
    assert page.get_by_text("Beginnt mit").is_visible()
    assert secret not in page.content()
    with page.expect_navigation():
        page.get_by_role("button", name="Widerrufen: Auswertung Excel").click()
    assert page.get_by_text(
        "Der Zugangsschlüssel „Auswertung Excel“ wurde widerrufen."
    ).is_visible()
    check_a11y(page)
    refused = api.get(f"{live_server}/api/v1/measures", headers=headers)
    assert refused.status == 401
    assert refused.json()["detail"] == "Der Zugangsschlüssel wurde widerrufen."
    assert page.console_errors == [] and page.foreign_requests == []
