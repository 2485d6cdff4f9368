"""Threat: a reviewer or analyst of one centre opens another centre's documents, page
images, exports or counts (any id they learn or guess), or learns which ids exist."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from dashboard.users import add_user, find_active_user
from faxflow.cli import app as cli_app
from faxflow.settings import get_settings
from tests.dashboard.conftest import PASSWORD, csrf_of, login

JSON = {"accept": "application/json"}
HTML = {"accept": "text/html"}


@pytest.fixture
def centre_a(app, engine: Engine) -> Any:
    """Clients for a reviewer and an analyst of centre-a only."""
    add_user(engine, "rev-a", PASSWORD, "reviewer", centres=["centre-a"])
    add_user(engine, "ana-a", PASSWORD, "analyst", centres=["centre-a"])
    clients = {
        role: login(TestClient(app, base_url="http://127.0.0.1"), name)
        for role, name in (("reviewer", "rev-a"), ("analyst", "ana-a"))
    }
    yield clients
    for client in clients.values():
        client.close()


def test_another_centres_document_is_not_found_like_a_missing_one(centre_a, docs) -> None:
    missing = "f" * 64
    for client in centre_a.values():
        for document_id in (docs.later_case, docs.benefit):  # both from centre-b
            for path in ("", "/pages/1/image"):
                theirs = client.get(f"/documents/{document_id}{path}", headers=JSON)
                absent = client.get(f"/documents/{missing}{path}", headers=JSON)
                assert theirs.status_code == absent.status_code == 404
                assert theirs.json()["code"] == absent.json()["code"] == "E_NOT_FOUND"
        assert client.get(f"/documents/{docs.xss_case}", headers=HTML).status_code == 200


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("approve", {}),
        ("reject", {"reason": "not ours"}),
        ("fields/patient_last_name", {"value": "Roe"}),
        ("fields/patient_last_name/undo", {}),
    ],
)
def test_review_actions_on_another_centres_document_are_not_found(
    centre_a, docs, engine, action, data
) -> None:
    client = centre_a["reviewer"]
    response = client.post(
        f"/documents/{docs.later_case}/{action}",
        data={**data, "csrf_token": csrf_of(client)},
        headers=JSON,
        follow_redirects=False,
    )
    assert response.status_code == 404
    from loaders.review import get_document

    later = get_document(engine, docs.later_case)
    assert later.status == "needs_review" and not later.history


def test_lists_and_queue_show_only_the_users_centres(centre_a, docs) -> None:
    records = centre_a["analyst"].get("/documents", headers=HTML).text
    queue = centre_a["reviewer"].get("/queue", headers=HTML).text
    for page in (records, queue):
        assert docs.xss_case in page
        assert docs.later_case not in page and docs.benefit not in page
        assert "centre-b" not in page  # not even in the filter menus


def test_overview_counts_and_csv_exports_only_the_users_centres(centre_a, client_for) -> None:
    """centre-a sent 2 documents (one accepted); centre-b 2 more."""

    def received(client: TestClient) -> dict[str, int]:
        text = client.get("/overview/documents_per_day.csv").text.removeprefix("\ufeff")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows
        counts = [int(v) for row in rows for k, v in row.items() if k and v and v.isdigit()]
        return {"total": sum(counts)}

    assert received(centre_a["analyst"])["total"] < received(client_for("admin"))["total"]
    curve = centre_a["analyst"].get("/overview/epidemic_curve.csv").text
    assert "Kent" not in curve  # the centre-b case's county
    assert "Kent" in client_for("admin").get("/overview/epidemic_curve.csv").text


def test_a_user_without_a_centre_sees_nothing(app, engine, docs) -> None:
    add_user(engine, "nobody", PASSWORD, "reviewer")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login(client, "nobody")
        assert client.get(f"/documents/{docs.xss_case}", headers=JSON).status_code == 404
        assert docs.xss_case not in client.get("/queue", headers=HTML).text


def test_admin_sees_every_centre(client_for, docs) -> None:
    admin = client_for("admin")
    for document_id in (docs.xss_case, docs.later_case, docs.benefit):
        assert admin.get(f"/documents/{document_id}", headers=HTML).status_code == 200


def test_cli_adds_users_with_centres(engine, dash_settings, monkeypatch) -> None:
    monkeypatch.setenv("FAXFLOW_DATABASE_URL", dash_settings.db_url)
    get_settings.cache_clear()
    result = CliRunner().invoke(
        cli_app,
        [
            "users",
            "add",
            "carol",
            "--role",
            "analyst",
            "--centre",
            "c1",
            "--centre",
            "c2",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
        env={"FAXFLOW_DATABASE_URL": dash_settings.db_url},
    )
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    user = find_active_user(engine, "carol")
    assert user is not None and user.centres == frozenset({"c1", "c2"})


def test_a_user_given_a_centre_later_sees_its_documents(app, engine, docs, client_for) -> None:
    """Users made before centres existed have none; an admin gives them one in the
    dashboard, and it holds from the user's next request (no new login), audited."""
    add_user(engine, "late", PASSWORD, "reviewer")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login(client, "late")
        assert client.get(f"/documents/{docs.xss_case}", headers=JSON).status_code == 404
        admin = client_for("admin")
        response = admin.post(
            "/users/late/centres",
            data={"centres": "centre-a", "csrf_token": csrf_of(admin)},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert client.get(f"/documents/{docs.xss_case}", headers=JSON).status_code == 200
        assert client.get(f"/documents/{docs.later_case}", headers=JSON).status_code == 404
        admin.post("/users/late/centres", data={"centres": "", "csrf_token": csrf_of(admin)})
        assert client.get(f"/documents/{docs.xss_case}", headers=JSON).status_code == 404
    from loaders.audit import USER_CENTRES

    with engine.connect() as connection:
        details = connection.execute(
            sa.text("SELECT actor, detail FROM audit_events WHERE action = :a ORDER BY id"),
            {"a": USER_CENTRES},
        ).all()
    assert [tuple(row) for row in details] == [
        ("admin", "user late; centres: centre-a"),
        ("admin", "user late; centres: none"),
    ]


def test_only_admins_change_centres_and_admins_take_none(centre_a, client_for, engine) -> None:
    reviewer = centre_a["reviewer"]
    refused = reviewer.post(
        "/users/rev-a/centres",
        data={"centres": "centre-b", "csrf_token": csrf_of(reviewer)},
        headers=JSON,
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert find_active_user(engine, "rev-a").centres == frozenset({"centre-a"})  # type: ignore[union-attr]
    admin = client_for("admin")
    response = admin.post(
        "/users/admin/centres", data={"centres": "centre-a", "csrf_token": csrf_of(admin)}
    )
    assert response.status_code == 400
    assert "every centre" in response.text


def test_cli_changes_a_users_centres(engine, dash_settings, monkeypatch) -> None:
    monkeypatch.setenv("FAXFLOW_DATABASE_URL", dash_settings.db_url)
    get_settings.cache_clear()
    add_user(engine, "dave", PASSWORD, "analyst", centres=["c1"])
    runner = CliRunner()
    env = {"FAXFLOW_DATABASE_URL": dash_settings.db_url}
    result = runner.invoke(cli_app, ["users", "centres", "dave", "-c", "c2", "-c", "c3"], env=env)
    assert result.exit_code == 0, result.output
    assert find_active_user(engine, "dave").centres == frozenset({"c2", "c3"})  # type: ignore[union-attr]
    cleared = runner.invoke(cli_app, ["users", "centres", "dave", "--none"], env=env)
    assert cleared.exit_code == 0, cleared.output
    assert find_active_user(engine, "dave").centres == frozenset()  # type: ignore[union-attr]
    for args, message in (
        (["users", "centres", "dave"], "--none"),
        (["users", "centres", "nobody", "-c", "c1"], "no user named"),
        (["users", "centres", "dave", "-c", "bad id!"], "centre id"),
    ):
        failed = runner.invoke(cli_app, args, env=env)
        assert failed.exit_code != 0
        assert message in str(failed.exception)
    get_settings.cache_clear()
    assert find_active_user(engine, "dave").centres == frozenset()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "path",
    ["", "/fields/patient_last_name/crop"],
)
def test_supervision_of_another_centres_document_is_not_found(centre_a, docs, path) -> None:
    """The supervision task and its field crops follow the same centre scope as the
    record page: another centre's document answers exactly like a missing one."""
    client = centre_a["reviewer"]
    theirs = client.get(f"/supervise/{docs.later_case}{path}", headers=JSON)
    absent = client.get(f"/supervise/{'f' * 64}{path}", headers=JSON)
    assert theirs.status_code == absent.status_code == 404


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("approve", {"confirm_open": "yes"}),
        ("fields/patient_last_name", {"value": "Roe"}),
        ("fields/patient_last_name/confirm", {}),
        ("fields/patient_last_name/qa", {"value": "Roe"}),
    ],
)
def test_supervision_actions_on_another_centres_document_are_not_found(
    centre_a, docs, engine, action, data
) -> None:
    client = centre_a["reviewer"]
    response = client.post(
        f"/supervise/{docs.later_case}/{action}",
        data={**data, "csrf_token": csrf_of(client)},
        headers=JSON,
        follow_redirects=False,
    )
    assert response.status_code == 404
    from loaders.review import get_document

    later = get_document(engine, docs.later_case)
    assert later.status == "needs_review" and not later.history


def test_next_supervision_task_comes_from_the_users_centres(centre_a, docs) -> None:
    response = centre_a["reviewer"].get("/supervise", follow_redirects=False)
    assert response.status_code == 303
    assert docs.later_case not in response.headers["location"]
    assert docs.benefit not in response.headers["location"]
