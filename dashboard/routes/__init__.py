"""The dashboard's routes, one module per screen; :data:`ROUTERS` is what the app mounts."""

from __future__ import annotations

from fastapi import APIRouter

from dashboard.routes import documents, overview, queue, session, supervise, users

ROUTERS: tuple[APIRouter, ...] = (
    session.router,
    queue.router,
    documents.router,
    supervise.router,
    overview.router,
    users.router,
)
