"""The review dashboard inside Airflow 3's API server, under ``/faxflow``.

Airflow mounts the ``fastapi_apps`` of its plugins into the API server. The dashboard
keeps its own login, roles, CSRF tokens and security headers there (Airflow's users are
not faxflow's reviewers), and every link it draws carries the ``/faxflow`` prefix.

Enable it with an entry point in the installed package's metadata::

    [project.entry-points."airflow.plugins"]
    faxflow_dashboard = "dashboard.airflow_plugin:FaxflowDashboardPlugin"

or by a one-line file in ``$AIRFLOW_HOME/plugins/``:
``from dashboard.airflow_plugin import FaxflowDashboardPlugin  # noqa: F401``.
"""

from __future__ import annotations

import threading

from airflow.plugins_manager import AirflowPlugin
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

URL_PREFIX = "/faxflow"


class LazyDashboard:
    """An ASGI app that builds the dashboard on its first request, so loading the plugin
    (at every Airflow process start) never opens a database connection."""

    def __init__(self) -> None:
        self._app: FastAPI | None = None
        self._lock = threading.Lock()

    @property
    def app(self) -> FastAPI:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    from dashboard.app import create_app

                    self._app = create_app()
        return self._app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class FaxflowDashboardPlugin(AirflowPlugin):
    name = "faxflow_dashboard"
    fastapi_apps = [  # noqa: RUF012 - Airflow reads this class attribute
        {"app": LazyDashboard(), "url_prefix": URL_PREFIX, "name": "faxflow review dashboard"}
    ]
