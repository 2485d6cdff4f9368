"""The security tests reuse the dashboard's fixtures: a migrated SQLite database with a
user of each role, the hand-made fixture documents and their page images, the app and
logged-in clients (see ``tests/dashboard/conftest.py``)."""

from tests.dashboard.conftest import (  # noqa: F401  (fixtures, found by name)
    anon,
    app,
    blank_page_png,
    cheap_password_hashing,
    client_for,
    dash_settings,
    docs,
    engine,
    isolated_env,
    template,
)
