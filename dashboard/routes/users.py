"""The admin's user list: add, disable and re-enable dashboard accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from dashboard.app import flash, render, state_of
from dashboard.auth import Permission, Role, UnknownUserError, User, UserAccountError, requires
from dashboard.users import add_user, list_users, set_centres, set_disabled

router = APIRouter(prefix="/users")
Admin = Annotated[User, Depends(requires(Permission.MANAGE_USERS))]


def _page(request: Request, *, error: str | None = None, status_code: int = 200) -> Response:
    context = {
        "active": "users",
        "accounts": list_users(state_of(request).engine),
        "roles": list(Role),
        "error": error,
    }
    return render(request, "users.html", context, status_code)


@router.get("", name="users")
def users_page(request: Request, user: Admin) -> Response:
    return _page(request)


@router.post("", name="add_user")
def add_user_route(
    request: Request,
    user: Admin,
    username: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form(max_length=32)],
    password: Annotated[str, Form(max_length=1024)],
    centres: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        account = add_user(
            state_of(request).engine,
            username,
            password,
            role,
            centres=centres.replace(",", " ").split(),
            actor=user.username,
        )
    except UserAccountError as exc:
        return _page(request, error=exc.message, status_code=400)
    flash(request, f"User {account.username} added as {account.role.value}.")
    return RedirectResponse(str(request.url_for("users")), status_code=303)


def _set_disabled(request: Request, admin: User, username: str, *, disabled: bool) -> Response:
    if disabled and username.lower() == admin.username:
        return _page(request, error="You cannot disable your own account.", status_code=400)
    try:
        account = set_disabled(
            state_of(request).engine, username, disabled=disabled, actor=admin.username
        )
    except UserAccountError as exc:
        return _page(request, error=exc.message, status_code=404)
    if disabled:
        flash(request, f"User {account.username} disabled; their sessions have ended.")
    else:
        flash(request, f"User {account.username} enabled.")
    return RedirectResponse(str(request.url_for("users")), status_code=303)


@router.post("/{username}/disable", name="disable_user")
def disable_user_route(request: Request, user: Admin, username: str) -> Response:
    return _set_disabled(request, user, username, disabled=True)


@router.post("/{username}/enable", name="enable_user")
def enable_user_route(request: Request, user: Admin, username: str) -> Response:
    return _set_disabled(request, user, username, disabled=False)


@router.post("/{username}/centres", name="set_user_centres")
def set_user_centres_route(
    request: Request,
    user: Admin,
    username: str,
    centres: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        account = set_centres(
            state_of(request).engine,
            username,
            centres.replace(",", " ").split(),
            actor=user.username,
        )
    except UnknownUserError as exc:
        return _page(request, error=exc.message, status_code=404)
    except UserAccountError as exc:
        return _page(request, error=exc.message, status_code=400)
    where = ", ".join(account.centres) or "none"
    flash(request, f"User {account.username} now sees centres: {where}.")
    return RedirectResponse(str(request.url_for("users")), status_code=303)
