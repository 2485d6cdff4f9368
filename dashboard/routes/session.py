"""Logging in and out, the landing redirect and the health probe."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response

from dashboard.app import render, state_of
from dashboard.auth import (
    CsrfRefused,
    User,
    any_user,
    current_user,
    end_session,
    start_session,
    verify_csrf,
)
from dashboard.security import safe_next_path
from dashboard.users import authenticate, record_logout

router = APIRouter()

LOGIN_FAILED = "That user name and password do not match an active account."
LOGIN_THROTTLED = "Too many failed attempts for this user name. Wait 15 minutes and retry."


@router.get("/healthz", name="healthz", include_in_schema=False)
def healthz() -> Response:
    """Liveness probe for ``make up`` (no database access, no login)."""
    return JSONResponse({"status": "ok"})


@router.get("/", name="home")
def home(request: Request) -> Response:
    user = current_user(request)
    target = request.url_for(user.home_route if user else "login_form")
    return RedirectResponse(str(target), status_code=303)


@router.get("/login", name="login_form")
def login_form(request: Request, next: str = "") -> Response:
    user = current_user(request)
    if user is not None:
        home = str(request.url_for(user.home_route))
        return RedirectResponse(safe_next_path(next, home), status_code=303)
    return render(
        request, "login.html", {"next": safe_next_path(next, ""), "error": None, "username": ""}
    )


@router.post("/login", name="login")
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        await verify_csrf(request)
    except CsrfRefused:
        # A stale login form (e.g. the session expired): show a fresh one, not an error.
        context = {
            "next": safe_next_path(next, ""),
            "username": username,
            "error": "The login form had expired. Please try again.",
        }
        return render(request, "login.html", context, status_code=403)
    state = state_of(request)
    key = username.strip().lower()
    if state.throttle.blocked(key):
        context = {"next": safe_next_path(next, ""), "username": username, "error": LOGIN_THROTTLED}
        return render(request, "login.html", context, status_code=429)
    # Argon2 takes a tenth of a second or more: keep it off the event loop.
    user = await run_in_threadpool(authenticate, state.engine, username, password)
    if user is None:
        state.throttle.failed(key)
        context = {"next": safe_next_path(next, ""), "username": username, "error": LOGIN_FAILED}
        return render(request, "login.html", context, status_code=401)
    state.throttle.succeeded(key)
    start_session(request, user)
    request.state.user = user
    home = str(request.url_for(user.home_route))
    return RedirectResponse(safe_next_path(next, home), status_code=303)


@router.post("/logout", name="logout")
async def logout(request: Request, user: Annotated[User, Depends(any_user)]) -> Response:
    await verify_csrf(request)
    await run_in_threadpool(record_logout, state_of(request).engine, user.username)
    end_session(request)
    return RedirectResponse(str(request.url_for("login_form")), status_code=303)
