"""What each screen does, through the HTTP API (httpx TestClient against the real app and
a real SQLite database loaded by ``loaders.load``)."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from dashboard.app import create_app
from dashboard.auth import Role
from dashboard.overview import since_for
from dashboard.users import add_user
from faxflow.model import DocumentResult, FormType, Issue, PageReport, PageRole, Status
from faxflow.settings import Settings
from loaders.db import engine_for, upgrade
from loaders.load import load_document
from loaders.review import get_document, review_queue
from loaders.tables import audit_events, infection_reports, review_events
from tests.builders import pack_result, pack_settings, source_for
from tests.dashboard.conftest import PASSWORD, XSS, Fixture, csrf_from, csrf_of, login

HTML = {"accept": "text/html"}


def _audit(engine: Engine, action: str) -> list[sa.Row]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                sa.select(audit_events)
                .where(audit_events.c.action == action)
                .order_by(audit_events.c.id)
            )
        )


def _events(engine: Engine, document_id: str) -> list[sa.Row]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                sa.select(review_events)
                .where(review_events.c.document_id == document_id)
                .order_by(review_events.c.id)
            )
        )


# --------------------------------------------------------------------------------------
# Logging in and out
# --------------------------------------------------------------------------------------


def test_login_sets_a_hardened_session_cookie(anon: TestClient, engine: Engine) -> None:
    form = anon.get("/login", headers=HTML)
    response = anon.post(
        "/login",
        data={"username": "Reviewer", "password": PASSWORD, "csrf_token": csrf_from(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith("/queue")
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("faxflow_session=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/" in cookie
    assert [row.actor for row in _audit(engine, "login")] == ["reviewer"]


def test_wrong_password_is_refused_and_audited(anon: TestClient, engine: Engine) -> None:
    form = anon.get("/login", headers=HTML)
    response = anon.post(
        "/login",
        data={
            "username": "reviewer",
            "password": "wrong password!",
            "csrf_token": csrf_from(form.text),
        },
        headers=HTML,
    )
    assert response.status_code == 401
    assert "do not match an active account" in response.text
    assert anon.get("/queue", follow_redirects=False).status_code == 401
    failed = _audit(engine, "login_failed")
    assert [(row.actor, row.detail) for row in failed] == [("reviewer", "bad credentials")]


def test_unknown_user_name_is_not_written_to_the_audit(anon: TestClient, engine: Engine) -> None:
    form = anon.get("/login", headers=HTML)
    anon.post(
        "/login",
        data={
            "username": "123-45-6789",
            "password": "whatever else",
            "csrf_token": csrf_from(form.text),
        },
    )
    assert [row.actor for row in _audit(engine, "login_failed")] == ["(unknown)"]


def test_repeated_failures_lock_the_name_out(anon: TestClient) -> None:
    token = csrf_from(anon.get("/login", headers=HTML).text)
    for _ in range(5):
        bad = anon.post(
            "/login",
            data={"username": "admin", "password": "guess guess guess", "csrf_token": token},
        )
        assert bad.status_code == 401
    locked = anon.post(
        "/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token},
        headers=HTML,
    )
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.text


def test_login_form_needs_its_csrf_token(anon: TestClient) -> None:
    anon.get("/login", headers=HTML)
    response = anon.post(
        "/login",
        data={"username": "reviewer", "password": PASSWORD, "csrf_token": "forged"},
        headers=HTML,
    )
    assert response.status_code == 403
    assert "expired" in response.text
    assert anon.get("/queue", follow_redirects=False).status_code == 401


def test_login_redirects_only_to_local_pages(anon: TestClient) -> None:
    token = csrf_from(anon.get("/login", headers=HTML).text)
    response = anon.post(
        "/login",
        data={
            "username": "analyst",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/phish",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "http://127.0.0.1/overview"


def test_login_returns_to_the_page_asked_for(anon: TestClient, docs: Fixture) -> None:
    asked = anon.get(f"/documents/{docs.accepted}", headers=HTML, follow_redirects=False)
    assert asked.status_code == 303
    login_page = anon.get(asked.headers["location"], headers=HTML)
    assert f'value="/documents/{docs.accepted}"' in login_page.text
    response = anon.post(
        "/login",
        data={
            "username": "analyst",
            "password": PASSWORD,
            "csrf_token": csrf_from(login_page.text),
            "next": f"/documents/{docs.accepted}",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == f"/documents/{docs.accepted}"


def test_logout_ends_the_session(client_for, engine: Engine) -> None:
    client = client_for("reviewer")
    response = client.post("/logout", data={"csrf_token": csrf_of(client)}, follow_redirects=False)
    assert response.status_code == 303
    assert "01 jan 1970" in response.headers["set-cookie"].lower()
    assert client.get("/queue", follow_redirects=False).status_code == 401
    assert [row.actor for row in _audit(engine, "logout")] == ["reviewer"]


def test_disabling_a_user_ends_their_session_at_once(client_for) -> None:
    reviewer = client_for("reviewer")
    admin = client_for("admin")
    assert reviewer.get("/queue").status_code == 200
    disabled = admin.post(
        "/users/reviewer/disable", data={"csrf_token": csrf_of(admin)}, follow_redirects=False
    )
    assert disabled.status_code == 303
    assert reviewer.get("/queue", follow_redirects=False).status_code == 401
    relogin = TestClient(reviewer.app, base_url="http://127.0.0.1")
    token = csrf_from(relogin.get("/login", headers=HTML).text)
    refused = relogin.post(
        "/login", data={"username": "reviewer", "password": PASSWORD, "csrf_token": token}
    )
    assert refused.status_code == 401


# --------------------------------------------------------------------------------------
# Protections on every page
# --------------------------------------------------------------------------------------


def test_pages_carry_security_headers(client_for, docs: Fixture) -> None:
    client = client_for("reviewer")
    for url in (
        "/queue",
        f"/documents/{docs.xss_case}",
        f"/documents/{docs.xss_case}/pages/1/image",
    ):
        response = client.get(url, headers=HTML)
        assert response.status_code == 200, url
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp
        assert "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"


def test_https_deployment_marks_cookie_secure_and_sends_hsts(
    dash_settings: Settings, engine: Engine
) -> None:
    app = create_app(dash_settings, engine=engine, secure_cookies=True, same_site="strict")
    with TestClient(app, base_url="https://dashboard.example") as client:
        form = client.get("/login", headers=HTML)
        assert form.headers["strict-transport-security"] == "max-age=31536000"
        cookie = form.headers["set-cookie"].lower()
        assert "secure" in cookie and "samesite=strict" in cookie and "httponly" in cookie


def test_plain_http_sends_no_hsts(anon: TestClient) -> None:
    assert "strict-transport-security" not in anon.get("/login").headers


def test_static_files_are_served_without_inline_code(anon: TestClient) -> None:
    script = anon.get("/static/review.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert script.headers.get("cache-control") != "no-store"
    assert anon.get("/static/dashboard.css").status_code == 200


def test_no_page_has_inline_script_or_style(client_for, docs: Fixture) -> None:
    client = client_for("admin")
    for url in ("/queue", "/documents", f"/documents/{docs.xss_case}", "/overview", "/users"):
        html = client.get(url, headers=HTML).text
        assert "<script>" not in html, url
        assert " style=" not in html, url
        assert " onclick=" not in html, url


def test_every_form_carries_the_csrf_token(client_for, docs: Fixture) -> None:
    client = client_for("admin")
    token = csrf_of(client)
    for url in ("/queue", f"/documents/{docs.benefit}", "/users"):
        html = client.get(url, headers=HTML).text
        posts = html.count('method="post"')
        assert posts > 0
        assert html.count(f'name="csrf_token" value="{token}"') == posts, url


def test_post_without_csrf_token_changes_nothing(client_for, docs: Fixture, engine: Engine) -> None:
    client = client_for("reviewer")
    missing = client.post(f"/documents/{docs.xss_case}/approve", follow_redirects=False)
    forged = client.post(
        f"/documents/{docs.xss_case}/approve", data={"csrf_token": "x" * 43}, follow_redirects=False
    )
    header = client.post(
        f"/documents/{docs.xss_case}/approve",
        headers={"x-csrf-token": "wrong"},
        follow_redirects=False,
    )
    assert [missing.status_code, forged.status_code, header.status_code] == [403, 403, 403]
    assert get_document(engine, docs.xss_case).status == "needs_review"
    assert _events(engine, docs.xss_case) == []


def test_csrf_token_of_another_session_is_refused(
    client_for, docs: Fixture, engine: Engine
) -> None:
    victim = client_for("reviewer")
    attacker = client_for("reviewer")
    response = victim.post(
        f"/documents/{docs.xss_case}/approve",
        data={"csrf_token": csrf_of(attacker)},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert get_document(engine, docs.xss_case).status == "needs_review"


def test_ocr_text_is_escaped(client_for, docs: Fixture) -> None:
    html = client_for("reviewer").get(f"/documents/{docs.xss_case}", headers=HTML).text
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_errors_are_pages_not_tracebacks(client_for) -> None:
    client = client_for("reviewer")
    missing = client.get(f"/documents/{'f' * 64}", headers=HTML)
    assert missing.status_code == 404
    assert "E_NOT_FOUND" in missing.text
    assert "Traceback" not in missing.text
    malformed = client.get("/documents/not-a-hash", headers=HTML)
    assert malformed.status_code == 422
    assert "document_id" in malformed.text
    assert client.get("/no/such/page").status_code == 404


# --------------------------------------------------------------------------------------
# The review queue
# --------------------------------------------------------------------------------------


def _queue_ids(html: str) -> list[str]:
    return re.findall(r'<tr data-document="([0-9a-f]{64})">', html)


def test_queue_lists_documents_needing_review_oldest_first(client_for, docs: Fixture) -> None:
    html = client_for("reviewer").get("/queue", headers=HTML).text
    assert _queue_ids(html) == [docs.xss_case, docs.later_case, docs.benefit]
    assert "3 documents waiting" in html


def test_queue_filters(client_for, docs: Fixture) -> None:
    client = client_for("reviewer")
    by_centre = client.get("/queue", params={"centre": "centre-b"}, headers=HTML).text
    assert _queue_ids(by_centre) == [docs.later_case, docs.benefit]
    by_form = client.get("/queue", params={"form_type": "mdhhs_dhs1171"}, headers=HTML).text
    assert _queue_ids(by_form) == [docs.benefit]
    by_issue = client.get("/queue", params={"issue_code": "age_mismatch"}, headers=HTML).text
    assert _queue_ids(by_issue) == [docs.later_case]
    none = client.get(
        "/queue", params={"centre": "centre-a", "issue_code": "age_mismatch"}, headers=HTML
    ).text
    assert _queue_ids(none) == []
    assert "Nothing waiting" in none
    # The menus offer every value present in the whole queue, whatever the filter.
    assert '<option value="centre-a"' in by_form and '<option value="age_mismatch"' in by_form


def test_a_filtered_queue_page_reads_the_queue_once(
    client_for, docs: Fixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, object]] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return review_queue(*args, **kwargs)

    monkeypatch.setattr("dashboard.routes.queue.review_queue", counted)
    html = client_for("reviewer").get("/queue", params={"centre": "centre-b"}, headers=HTML).text

    assert calls == [
        {
            "centre": "centre-b",
            "form_type": None,
            "issue_code": None,
            "centres": frozenset({"centre-a", "centre-b"}),
        }
    ]
    assert _queue_ids(html) == [docs.later_case, docs.benefit]
    for value in ("centre-a", "centre-b", "cdc_pui_2020", "page_missing", "low_confidence"):
        assert f'<option value="{value}"' in html


# --------------------------------------------------------------------------------------
# The review page
# --------------------------------------------------------------------------------------


def test_review_page_shows_fields_boxes_and_issues(client_for, docs: Fixture) -> None:
    html = client_for("reviewer").get(f"/documents/{docs.xss_case}", headers=HTML).text
    # Every field with its box on page 1, coloured by confidence.
    assert 'class="box conf-low" data-field="patient_first_name"' in html  # 0.41
    assert 'class="box conf-mid" data-field="date_of_birth"' in html  # 0.72 < 0.80
    assert 'class="box conf-high has-issue" data-field="onset_date"' in html
    assert 'data-bbox="150,230,420,255"' in html
    assert 'viewBox="0 0 850 1100"' in html
    # Field issues beside the field; document issues above.
    assert "date_after_report" in html and "page_missing" in html
    # Keyboard shortcuts documented on the page.
    for key in ("<kbd>j</kbd>", "<kbd>k</kbd>", "<kbd>e</kbd>", "<kbd>a</kbd>"):
        assert key in html
    assert "8 fields · 3 to check" in html
    assert 'class="box conf-high" data-field="symptom_cough"' in html  # on page 2


def test_the_field_view_shows_the_steps_that_changed_a_value(client_for, docs: Fixture) -> None:
    html = client_for("reviewer").get(f"/documents/{docs.xss_case}", headers=HTML).text
    assert "changed by 1 step" in html
    assert '<span class="mono">repair.county</span>: <span class="mono">Inghann</span>' in html


def test_every_record_view_is_audited(client_for, docs: Fixture, engine: Engine) -> None:
    client = client_for("analyst")
    client.get(f"/documents/{docs.xss_case}")
    client.get(f"/documents/{docs.benefit}")
    views = _audit(engine, "view_record")
    assert [(v.actor, v.document_id) for v in views] == [
        ("analyst", docs.xss_case),
        ("analyst", docs.benefit),
    ]


def test_analyst_sees_records_read_only(client_for, docs: Fixture) -> None:
    html = client_for("analyst").get(f"/documents/{docs.xss_case}", headers=HTML).text
    assert "read only" in html
    assert "approve-form" not in html
    assert "/fields/" not in html
    assert "Reveal SSN" not in html


def test_page_image_is_served_by_document_and_page(
    client_for, docs: Fixture, engine: Engine
) -> None:
    client = client_for("analyst")
    image = client.get(f"/documents/{docs.xss_case}/pages/1/image")
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    assert client.get(f"/documents/{docs.later_case}/pages/2/image").status_code == 404
    views = _audit(engine, "view_page_image")
    assert [(v.actor, v.document_id, v.detail) for v in views] == [
        ("analyst", docs.xss_case, "page 1")
    ]
    assert client.get(f"/documents/{docs.xss_case}/pages/0/image").status_code == 422


def test_correction_updates_record_and_writes_review_event(
    client_for, docs: Fixture, engine: Engine
) -> None:
    client = client_for("reviewer")
    response = client.post(
        f"/documents/{docs.xss_case}/fields/date_of_birth",
        data={"value": "7/4/1962", "csrf_token": csrf_of(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith(f"/documents/{docs.xss_case}?field=date_of_birth")
    events = _events(engine, docs.xss_case)
    assert [(e.action, e.field, e.old_value, e.new_value, e.reviewer) for e in events] == [
        ("correct", "date_of_birth", "1961-07-04", "1962-07-04", "reviewer")
    ]
    with engine.connect() as connection:
        stored = connection.execute(
            sa.select(infection_reports.c.date_of_birth).where(
                infection_reports.c.document_id == docs.xss_case
            )
        ).scalar()
    assert str(stored) == "1962-07-04"
    page = client.get(f"/documents/{docs.xss_case}", headers=HTML).text
    assert "corrected by reviewer" in page
    assert "Review history (1)" in page
    assert re.search(
        r"<strong>reviewer</strong> corrected\s*<em>Date of birth</em>: "
        r'<span class="mono">1961-07-04</span> → <span class="mono">1962-07-04</span>',
        page,
    )


def test_undo_brings_back_the_machine_value(client_for, docs: Fixture, engine: Engine) -> None:
    client = client_for("reviewer")
    token = csrf_of(client)
    url = f"/documents/{docs.later_case}/fields/age"
    client.post(url, data={"value": "61", "csrf_token": token})
    page = client.get(f"/documents/{docs.later_case}", headers=HTML).text
    assert f'action="http://127.0.0.1{url}/undo"' in page
    undone = client.post(f"{url}/undo", data={"csrf_token": token}, follow_redirects=False)
    assert undone.status_code == 303
    doc = get_document(engine, docs.later_case)
    age = doc.field("age")
    assert age is not None and (age.value, age.reviewed) == (58, False)
    assert [e.action for e in _events(engine, docs.later_case)] == ["correct", "undo"]
    again = client.post(f"{url}/undo", data={"csrf_token": token}, headers=HTML)
    assert again.status_code == 400 and "no correction to undo" in again.text


def test_correction_that_does_not_fit_is_refused(client_for, docs: Fixture, engine: Engine) -> None:
    client = client_for("reviewer")
    response = client.post(
        f"/documents/{docs.xss_case}/fields/date_of_birth",
        data={"value": "31/31/2020", "csrf_token": csrf_of(client)},
        headers=HTML,
    )
    assert response.status_code == 400
    assert "Not saved. Date of birth: that day does not exist in the calendar" in response.text
    assert _events(engine, docs.xss_case) == []


def test_correction_of_a_field_the_form_does_not_have(client_for, docs: Fixture) -> None:
    client = client_for("reviewer")
    response = client.post(
        f"/documents/{docs.xss_case}/fields/applicant_ssn",
        data={"value": "123456789", "csrf_token": csrf_of(client)},
        headers=HTML,
    )
    assert response.status_code == 400
    assert "is not a field of this record" in response.text


def test_approve_removes_the_document_from_the_queue(
    client_for, docs: Fixture, engine: Engine
) -> None:
    client = client_for("reviewer")
    response = client.post(
        f"/documents/{docs.xss_case}/approve", data={"csrf_token": csrf_of(client)}
    )
    assert response.status_code == 200  # followed to the queue
    assert "has left the queue" in response.text
    assert docs.xss_case not in _queue_ids(response.text)
    assert docs.xss_case not in [item.document_id for item in review_queue(engine)]
    doc = get_document(engine, docs.xss_case)
    assert (doc.status, doc.reviewed_by) == ("accepted", "reviewer")


def test_reject_needs_a_reason(client_for, docs: Fixture, engine: Engine) -> None:
    client = client_for("reviewer")
    token = csrf_of(client)
    without = client.post(f"/documents/{docs.later_case}/reject", data={"csrf_token": token})
    assert without.status_code == 422
    assert get_document(engine, docs.later_case).status == "needs_review"
    with_reason = client.post(
        f"/documents/{docs.later_case}/reject",
        data={"csrf_token": token, "reason": "second page missing"},
        follow_redirects=False,
    )
    assert with_reason.status_code == 303
    assert get_document(engine, docs.later_case).status == "rejected"
    assert [(e.action, e.reason) for e in _events(engine, docs.later_case)] == [
        ("reject", "second page missing")
    ]


def test_decided_document_offers_no_review_actions(client_for, docs: Fixture) -> None:
    html = client_for("reviewer").get(f"/documents/{docs.accepted}", headers=HTML).text
    assert "approve-form" not in html
    assert "status-accepted" in html


# --------------------------------------------------------------------------------------
# SSNs
# --------------------------------------------------------------------------------------


def test_ssn_is_masked_for_reviewer_and_analyst(client_for, docs: Fixture, engine: Engine) -> None:
    for role in ("reviewer", "analyst"):
        client = client_for(role)
        html = client.get(f"/documents/{docs.benefit}", headers=HTML).text
        assert "123456789" not in html and "123-45-6789" not in html
        assert "***-**-6789" in html
        assert "Reveal SSN" not in html
        refused = client.post(
            f"/documents/{docs.benefit}/reveal", data={"csrf_token": csrf_of(client)}
        )
        assert refused.status_code == 403
    assert _audit(engine, "reveal_ssn") == []


def test_admin_reveals_ssn_and_the_reveal_is_audited(
    client_for, docs: Fixture, engine: Engine
) -> None:
    client = client_for("admin")
    masked = client.get(f"/documents/{docs.benefit}", headers=HTML).text
    assert "Reveal SSN" in masked and "123456789" not in masked
    revealed = client.post(
        f"/documents/{docs.benefit}/reveal", data={"csrf_token": csrf_of(client)}, headers=HTML
    )
    assert revealed.status_code == 200
    assert "123456789" in revealed.text
    assert "recorded in the audit log" in revealed.text
    assert revealed.headers["cache-control"] == "no-store"
    reveals = _audit(engine, "reveal_ssn")
    assert [(r.actor, r.document_id, r.field) for r in reveals] == [
        ("admin", docs.benefit, "applicant_ssn")
    ]
    # The next plain view is masked again.
    again = client.get(f"/documents/{docs.benefit}", headers=HTML).text
    assert "123456789" not in again


# --------------------------------------------------------------------------------------
# Overview and exports
# --------------------------------------------------------------------------------------


def test_overview_draws_every_chart(client_for, docs: Fixture) -> None:
    html = client_for("analyst").get("/overview", headers=HTML).text
    for name in (
        "documents_per_day",
        "auto_accept_rate",
        "field_automation",
        "qa_accuracy",
        "corrections_per_field",
        "epidemic_curve",
        "applications_per_county",
    ):
        assert f'data-chart="{name}"' in html
        assert f"/overview/{name}.csv" in html
    assert html.count("<details>") == 7  # each chart has its table of numbers
    kpis = dict(re.findall(r'kpi-label">([^<]+)</div><div class="kpi-value">([^<]+)<', html))
    assert kpis == {
        "Files received": "4",
        "Waiting for review": "3",
        "Accepted": "1",
        "Auto-accept rate": "25%",
        "Rejected or refused": "0",
        "Corrections": "0",
        # The fixtures were loaded without routing marks: no field has a decision yet.
        "Automation rate": "0.0%",
        "Fully automated": "0",
        "Human seconds per document": "0.0",
    }


def test_chart_csv_downloads_and_is_audited(client_for, docs: Fixture, engine: Engine) -> None:
    response = client_for("analyst").get("/overview/epidemic_curve.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    # UTF-8 with a byte-order mark, so that spreadsheet programs read it as UTF-8
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.text.removeprefix("\ufeff"))))
    counts = {(r["onset day"], r["county"]): int(r["cases"]) for r in rows}
    assert counts == {("2020-03-02", "Wayne"): 2, ("2020-03-03", "Kent"): 1}
    exports = _audit(engine, "export")
    assert [(e.actor, e.detail) for e in exports] == [("analyst", "chart epidemic_curve")]


def test_unknown_chart_is_404(client_for) -> None:
    assert client_for("analyst").get("/overview/nope.csv").status_code == 404


# --------------------------------------------------------------------------------------
# Users (admin)
# --------------------------------------------------------------------------------------


def test_admin_adds_and_disables_users(client_for) -> None:
    admin = client_for("admin")
    token = csrf_of(admin)
    weak = admin.post(
        "/users",
        data={"username": "carol", "role": "reviewer", "password": "short", "csrf_token": token},
        headers=HTML,
    )
    assert weak.status_code == 400
    assert "at least 12 characters" in weak.text
    added = admin.post(
        "/users",
        data={
            "username": "carol",
            "role": "reviewer",
            "password": "carol's long password",
            "csrf_token": token,
        },
        headers=HTML,
    )
    assert added.status_code == 200
    assert "User carol added as reviewer" in added.text
    carol = TestClient(admin.app, base_url="http://127.0.0.1")
    login(carol, "carol", "carol's long password")
    assert carol.get("/queue").status_code == 200
    duplicate = admin.post(
        "/users",
        data={
            "username": "carol",
            "role": "admin",
            "password": "another password",
            "csrf_token": token,
        },
        headers=HTML,
    )
    assert duplicate.status_code == 400 and "already exists" in duplicate.text
    self_disable = admin.post("/users/admin/disable", data={"csrf_token": token}, headers=HTML)
    assert self_disable.status_code == 400
    admin.post("/users/carol/disable", data={"csrf_token": token})
    assert carol.get("/queue", follow_redirects=False).status_code == 401
    admin.post("/users/carol/enable", data={"csrf_token": token})
    login(carol, "carol", "carol's long password")
    assert carol.get("/queue").status_code == 200
    assert Role.REVIEWER.value in admin.get("/users", headers=HTML).text


def test_unknown_form_without_images_still_opens(client_for, engine: Engine) -> None:
    """A fax nobody could classify: no record, no images, one document issue. The page
    says so instead of failing, and offers nothing to edit."""
    result = DocumentResult(
        document_id="e" * 64,
        source_name="cover-sheet.tif",
        form_type=FormType.UNKNOWN,
        record_type=None,
        page_count=1,
        status=Status.NEEDS_REVIEW,
        issues=[Issue(code="E_UNKNOWN_FORM", message="no page matched a known form")],
        pages=[PageReport(number=1, role=PageRole.COVER)],
    )
    load_document(engine, result)  # no arrival facts, so no centre: an admin's to look at
    html = client_for("admin").get(f"/documents/{'e' * 64}", headers=HTML).text
    assert "Unknown form" in html
    assert "No image stored for page 1 (cover)" in html
    assert "E_UNKNOWN_FORM" in html
    assert "No fields were extracted" in html


def test_overview_of_an_empty_database(tmp_path, dash_settings: Settings) -> None:
    """A fresh installation: every chart says it has no data yet, nothing fails."""
    empty = engine_for(f"sqlite:///{tmp_path / 'empty.db'}")
    upgrade(empty)
    add_user(empty, "analyst", PASSWORD, "analyst")
    with TestClient(create_app(dash_settings, engine=empty), base_url="http://127.0.0.1") as c:
        login(c, "analyst")
        html = c.get("/overview", headers=HTML).text
        assert html.count("No data yet") >= 5
        csv_text = c.get("/overview/epidemic_curve.csv").text
        assert csv_text.removeprefix("\ufeff").strip() == "onset day,county,cases"
    empty.dispose()


def test_reviewer_corrects_an_ssn_without_seeing_it_again(
    client_for, docs: Fixture, engine: Engine
) -> None:
    reviewer = client_for("reviewer")
    saved = reviewer.post(
        f"/documents/{docs.benefit}/fields/applicant_ssn",
        data={"value": "987-65-4321", "csrf_token": csrf_of(reviewer)},
        headers=HTML,
    )
    assert saved.status_code == 200
    assert "***-**-4321" in saved.text and "987654321" not in saved.text
    assert "987-65-4321" not in saved.text
    events = _events(engine, docs.benefit)
    assert [(e.field, e.new_value) for e in events] == [("applicant_ssn", "***-**-4321")]
    admin = client_for("admin")
    revealed = admin.post(f"/documents/{docs.benefit}/reveal", data={"csrf_token": csrf_of(admin)})
    assert "987654321" in revealed.text


def test_records_list_filters_by_status_form_and_centre(client_for, docs: Fixture) -> None:
    client = client_for("analyst")

    def listed(**params: str) -> list[str]:
        html = client.get("/documents", params=params, headers=HTML).text
        return re.findall(r'href="http://127.0.0.1/documents/([0-9a-f]{64})"', html)

    assert listed() == [docs.benefit, docs.accepted, docs.later_case, docs.xss_case]  # newest first
    assert listed(status="accepted") == [docs.accepted]
    assert listed(form_type="mdhhs_dhs1171") == [docs.benefit]
    assert listed(centre="centre-a", status="needs_review") == [docs.xss_case]
    assert listed(status="rejected") == []


def test_overview_period_limits_the_days_drawn_and_exported(
    client_for, docs: Fixture, engine: Engine
) -> None:
    """The fixture's documents arrived in March 2020: the last 30 days hold none of them,
    except the correction counts, which are all-time by design."""
    client = client_for("analyst")
    recent = client.get("/overview", params={"period": "30"}, headers=HTML).text
    assert 'aria-current="true">30 days<' in recent
    assert "/overview/epidemic_curve.csv?period=30" in recent
    kpis = dict(re.findall(r'kpi-label">([^<]+)</div><div class="kpi-value">([^<]+)<', recent))
    assert kpis["Files received"] == "0" and kpis["Auto-accept rate"] == "–"
    csv_text = client.get("/overview/epidemic_curve.csv", params={"period": "30"}).text
    assert csv_text.removeprefix("\ufeff").strip() == "onset day,county,cases"
    everything = client.get("/overview/epidemic_curve.csv", params={"period": "all"}).text
    assert len(everything.strip().splitlines()) == 3
    assert client.get("/overview", params={"period": "7"}).status_code == 422
    details = [e.detail for e in _audit(engine, "export")]
    assert details[0].startswith("chart epidemic_curve since ")
    assert details[1] == "chart epidemic_curve"


def test_since_for() -> None:
    assert since_for("30", today=date(2020, 3, 31)) == date(2020, 3, 2)
    assert since_for("all") is None


def test_database_outage_is_a_503_page_without_details(client_for, docs: Fixture) -> None:
    client = client_for("reviewer")
    state = client.app.state.dashboard
    state.engine.dispose()
    Path(state.settings.db_url.removeprefix("sqlite:///")).unlink()
    Path(state.settings.db_url.removeprefix("sqlite:///")).mkdir()  # now unopenable
    response = client.get(f"/documents/{docs.xss_case}", headers=HTML)
    assert response.status_code == 503
    assert "Database unavailable" in response.text
    assert "sqlite" not in response.text.lower() and "dash.db" not in response.text


def test_box_colours_follow_the_calibrated_threshold_of_the_field_kind(
    dash_settings: Settings, engine: Engine, docs: Fixture
) -> None:
    """Dates calibrated to 0.99: the onset date read at 0.95 is no longer 'confident',
    exactly as the router held it to that threshold."""
    calibrated = dash_settings.model_copy(update={"confidence_thresholds": {"date": 0.99}})
    with TestClient(create_app(calibrated, engine=engine), base_url="http://127.0.0.1") as c:
        login(c, "reviewer")
        html = c.get(f"/documents/{docs.xss_case}", headers=HTML).text
    assert 'class="box conf-mid has-issue" data-field="onset_date"' in html
    assert 'class="box conf-high" data-field="patient_last_name"' in html  # a name: 0.80
    assert 'title="confidence; threshold 99%"' in html


def test_a_bug_is_a_500_without_the_exception_text_in_logs_or_page(
    client_for, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("cannot parse 123-45-6789")

    client = client_for("reviewer")
    monkeypatch.setattr("dashboard.routes.queue.review_queue", broken)
    with caplog.at_level(logging.INFO):
        page = client.get("/queue", headers=HTML)
        api = client.get("/queue")
    assert page.status_code == 500 and "Something went wrong" in page.text
    assert api.status_code == 500 and api.json()["detail"].startswith("Something went wrong")
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert "internal error on /queue: ValueError" in caplog.text
    assert "123-45-6789" not in caplog.text and "123-45-6789" not in page.text


def test_a_form_packs_document_is_labelled_by_its_schema_and_template_titles(
    dash_settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    """GIVEN a form pack whose schema.json titles a field and whose template titles the
    form (edited as data) WHEN a document of it is opened, listed and queued THEN the
    pages say those titles, not the field's or form's name."""
    packs = pack_settings(tmp_path, "household_support", renames={})
    folder = packs.forms_dir / "household_support"  # type: ignore[operator]
    schema = json.loads((folder / "schema.json").read_text())
    schema["properties"]["owns_car"]["title"] = "Does anyone own a car?"
    (folder / "schema.json").write_text(json.dumps(schema))
    template = folder / "template.yaml"
    title = re.search(r"^title: (.*)$", template.read_text(), re.M)
    assert title is not None
    template.write_text(template.read_text().replace(title.group(0), "title: Household support"))
    settings = dash_settings.model_copy(update={"forms_dir": packs.forms_dir})
    record = {"full_name_applicant": "Ana Ruiz", "owns_car": True, "has_job": "no"}
    result = pack_result(7, "household_support", record, Status.NEEDS_REVIEW)
    when = datetime(2020, 3, 7, 8, 0, tzinfo=UTC)
    load_document(
        engine, result, source=source_for(result, centre="centre-a", received=when),
        settings=settings,
    )  # fmt: skip
    with TestClient(create_app(settings, engine=engine), base_url="http://127.0.0.1") as c:
        login(c, "reviewer")
        page = c.get(f"/documents/{result.document_id}", headers=HTML).text
        queue = c.get("/queue", headers=HTML).text
        listed = c.get("/documents", headers=HTML).text
    assert "Does anyone own a car?" in page
    assert "Owns car" not in page
    assert "Full name applicant" in page  # a drafted title: the name's words
    assert "Household support" in page
    assert "Household support" in queue and "Household support" in listed
