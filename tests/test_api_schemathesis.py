"""The REST API against its own served OpenAPI document, with schemathesis (WSGI, no network).

For every operation schemathesis generates valid and invalid requests from the document and
checks each answer: no server error, only documented status codes, content types, headers
and bodies matching the document, invalid data refused and valid data accepted, 401 without
a token, 405 for undocumented methods. Requests are sent with real tokens of every role in
turn, so the answers run through the permission rules too (403 and 404 are documented).

Generated ids rarely exist, so most of them are mapped onto the world's measures, key
figures and agenda versions, and every second write names the measure's current version:
the generated requests then also reach the successful paths (reading, 201 for writes).
"""

from __future__ import annotations

import tempfile
from typing import Any

import pytest
import schemathesis
from api_helpers import ROLES, ApiWorld, build_world
from hypothesis import HealthCheck, settings

from config import TestConfig
from steuerung import create_app
from steuerung.models import Measure
from steuerung.services.api.schemas import MAX_ID

#: Examples per operation and generation phase: enough to reach every branch of the
#: validation, few enough to keep this file well under a minute.
MAX_EXAMPLES = 30


def _loader_app() -> Any:
    """An app that only serves the document for collection (pytest parametrizes one test per
    operation before any fixture exists). Its document is checked against the test app's."""
    folder = tempfile.mkdtemp(prefix="steuerung-schemathesis-")

    class LoaderConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        JOBS_DIR = f"{folder}/files"
        JOBS_QUEUE_FILE = f"{folder}/queue.db"

    return create_app(LoaderConfig)


# Loaded eagerly: schemathesis' fixture-based loader does not run on pytest 9.2 (it sets a
# node attribute pytest no longer has).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _loader_app())


@pytest.fixture()
def world(app: Any, factory: Any, users: Any, db: Any) -> ApiWorld:
    """The data behind the generated requests; the requests go to the test app."""
    served = app.test_client().get("/api/v1/openapi.json").get_json()
    assert served == schema.raw_schema, "both apps serve the same document"
    return build_world(factory, users, db)


def _real(value: Any, choices: list[int]) -> Any:
    """Most valid generated ids become existing ones; some stay (unknown: 404)."""
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID:
        return choices[value % len(choices)] if value % 5 else value
    return value


_calls = {"n": 0}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_api_matches_its_document(case: Any, app: Any, world: ApiWorld, db: Any) -> None:
    by_id = {m.id: m for m in world.measures.values()}
    params = case.path_parameters or {}
    if "measure_id" in params:
        params["measure_id"] = _real(params["measure_id"], sorted(by_id))
    if "key_figure_id" in params:
        owner = by_id.get(params["measure_id"])
        figures = [k.id for k in (owner.key_figures if owner else [])] or [
            k.id for m in by_id.values() for k in m.key_figures
        ]
        params["key_figure_id"] = _real(params["key_figure_id"], figures)
    if "agenda_id" in params:
        params["agenda_id"] = _real(params["agenda_id"], [world.agenda.id])
    body = case.body if isinstance(case.body, dict) else None
    version = body.get("version") if body else None
    if (
        isinstance(version, int)
        and not isinstance(version, bool)
        and 1 <= version <= MAX_ID
        and version % 2 == 0
        and params.get("measure_id") in by_id
    ):
        current = db.session.get(Measure, params["measure_id"])
        if current is not None:
            db.session.refresh(current)
            body["version"] = current.version_id
    _calls["n"] += 1
    role = ROLES[_calls["n"] % len(ROLES)]
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {world.tokens[role]}"})
    db.session.rollback()


#: A valid request of each operation on the world's data (the answer must be 2xx).
def _valid_requests(world: ApiWorld) -> dict[str, dict[str, Any]]:
    measure = world.measures["own_approved"]
    figure = measure.key_figures[0]
    ids = {"measure_id": measure.id}
    return {
        "GET /measures": {"query": {"status": ["approved"], "per_page": 5, "sort": "title"}},
        "GET /measures/{measure_id}": {"path_parameters": ids},
        "GET /measures/{measure_id}/status-reports": {"path_parameters": ids},
        "GET /measures/{measure_id}/key-figures": {"path_parameters": ids},
        "POST /measures/{measure_id}/status-reports": {
            "path_parameters": ids,
            "body": {
                "version": measure.version_id,
                "reported_on": "2026-06-30",
                "schedule_light": "green",
                "cost_light": "yellow",
                "scope_light": "green",
                "progress_percent": 50,
            },
        },
        "POST /measures/{measure_id}/key-figures/{key_figure_id}/values": {
            "path_parameters": {**ids, "key_figure_id": figure.id},
            "body": {"version": measure.version_id, "measured_on": "2026-07-01", "value": "40.5"},
        },
        "GET /agenda": {},
        "GET /agenda/versions": {},
        "GET /agenda/versions/{agenda_id}": {"path_parameters": {"agenda_id": world.agenda.id}},
        "GET /budget/lines": {},
        "GET /budget/coverage": {"query": {"view": "ring", "scenario": "true"}},
        "GET /dashboard": {"query": {"year": 2027}},
    }


def test_successful_answers_match_the_document(app: Any, world: ApiWorld, db: Any) -> None:
    """Every operation once with a valid request of the coordinating office: the 2xx answer
    passes all of schemathesis' checks (generated requests mostly meet refusals)."""
    requests = _valid_requests(world)
    labels = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.add(operation.label)
        data = requests[operation.label]
        db.session.expire_all()
        if "body" in data:  # the version just before the write
            data["body"]["version"] = db.session.get(
                Measure, world.measures["own_approved"].id
            ).version_id
        case = operation.Case(**data)
        response = case.call_and_validate(
            app=app, headers={"Authorization": f"Bearer {world.tokens['coordinator']}"}
        )
        assert 200 <= response.status_code < 300, (operation.label, response.text)
    assert labels == set(requests)
