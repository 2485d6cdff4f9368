"""The review dashboard's FastAPI application.

``create_app(settings)`` builds the whole app: server-rendered Jinja2 pages (autoescaped),
static CSS/JS served from this package, signed HttpOnly session cookies, strict security
headers, and one place that turns refusals and failures into pages or status codes.

Run it with ``faxflow dashboard`` (see ``dashboard/cli.py``) or mount it elsewhere (the
Airflow plugin in ``dashboard/airflow_plugin.py``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import escape
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dashboard.auth import (
    CsrfRefused,
    Forbidden,
    LoginThrottle,
    NotAuthenticated,
    Permission,
    csrf_token,
    current_user,
)
from dashboard.fields import form_label
from dashboard.security import SecurityHeadersMiddleware, load_or_create_secret
from faxflow.errors import ConfigError, ErrorCode, FaxflowError, safe_traceback
from faxflow.settings import Settings, get_settings

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
SESSION_COOKIE = "faxflow_session"
FLASH_SESSION_KEY = "flash"

STATUS_BY_CODE: dict[ErrorCode, int] = {
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.DATABASE: 503,
    ErrorCode.CONFIG: 400,
    ErrorCode.NOT_IN_REVIEW: 409,
}


@dataclass(frozen=True, slots=True)
class DashboardState:
    """What every request handler shares; stored on ``app.state.dashboard``."""

    settings: Settings
    engine: Engine
    templates: Jinja2Templates
    throttle: LoginThrottle
    idle_timeout_s: int


def state_of(request: Request) -> DashboardState:
    state: DashboardState = request.app.state.dashboard
    return state


def _template_globals(request: Request) -> dict[str, Any]:
    try:
        user = current_user(request)
    except FaxflowError:  # the database is down: render the page without a user menu
        user = None
    settings = state_of(request).settings
    return {
        # a form pack's form is named by its template's title; packs are found by settings
        "form_label": lambda form_type: form_label(form_type, settings),
        "current_user": user,
        "csrf_token": csrf_token(request),
        # Development mode is said loudly on every page, with the keys made locally.
        "dev_mode": not settings.production,
        "dev_missing_secrets": settings.missing_secrets(),
        "flashes": request.session.pop(FLASH_SESSION_KEY, []),
    }


def build_templates() -> Jinja2Templates:
    """Jinja2 with autoescaping for every template (OCR text is untrusted input) and
    StrictUndefined so a misspelt variable fails a test instead of rendering blank."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PACKAGE_DIR / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["Permission"] = Permission
    env.globals["form_label"] = form_label
    env.globals["active"] = None
    return Jinja2Templates(env=env, context_processors=[_template_globals])


def flash(request: Request, text: str, kind: Literal["ok", "warn"] = "ok") -> None:
    """A one-time message for the next page (never personal data: it rides in the cookie)."""
    messages = list(request.session.get(FLASH_SESSION_KEY, []))
    messages.append({"text": text, "kind": kind})
    request.session[FLASH_SESSION_KEY] = messages[-3:]


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    """A server-rendered page."""
    return state_of(request).templates.TemplateResponse(
        request, template, context, status_code=status_code
    )


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept or not accept


def error_response(
    request: Request, status_code: int, title: str, detail: str, *, code: str | None = None
) -> Response:
    """A small page for browsers, JSON for everything else; never a traceback."""
    if _wants_html(request):
        context = {"status_code": status_code, "title": title, "detail": detail, "code": code}
        return render(request, "error.html", context, status_code)
    body: dict[str, Any] = {"detail": detail}
    if code:
        body["code"] = code
    return JSONResponse(body, status_code=status_code)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotAuthenticated)
    async def _not_authenticated(request: Request, exc: NotAuthenticated) -> Response:
        if request.method == "GET" and _wants_html(request):
            login = request.url_for("login_form").include_query_params(
                next=request.url.path + (f"?{request.url.query}" if request.url.query else "")
            )
            return RedirectResponse(str(login), status_code=303)
        response = error_response(request, 401, "Please log in", "Your session has ended.")
        response.headers["www-authenticate"] = 'Cookie realm="faxflow"'
        return response

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return error_response(
            request,
            403,
            "Not allowed",
            f"Your role does not include '{exc.permission.value}'. Ask an administrator.",
        )

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> Response:
        return error_response(
            request,
            403,
            "Form expired",
            "This form is out of date or came from another site. Reload the page and retry.",
        )

    @app.exception_handler(FaxflowError)
    async def _faxflow_error(request: Request, exc: FaxflowError) -> Response:
        status_code = STATUS_BY_CODE.get(exc.code, 400)
        log.warning("request refused: %s %s", exc.code.value, request.url.path)
        if exc.code is ErrorCode.DATABASE:
            # The message names the database file or host: for the log, not the browser.
            log.warning("database error: %s", exc.message)
            detail = "The database is not answering. Try again in a minute."
            return error_response(request, 503, "Database unavailable", detail, code=exc.code)
        return error_response(request, status_code, "Request refused", exc.message, code=exc.code)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Method not allowed", 400: "Bad request"}
        return error_response(
            request, exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail)
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        # Name the offending parameters only: the submitted values may be personal data.
        names = sorted({".".join(str(p) for p in err.get("loc", ())[1:]) for err in exc.errors()})
        return error_response(
            request, 422, "Invalid request", "Missing or invalid: " + ", ".join(names)
        )


class OwnRouterMiddleware:
    """Makes ``request.url_for`` resolve names on this app's router, under this app's own
    root path. Starlette keeps the outermost router in ``scope["router"]`` and the
    outermost root path in ``app_root_path``; mounted in Airflow's API server behind a
    wrapper without ``routes`` (the plugin's lazy app), ``url_for('static')`` found
    nothing there (500 ``NoMatchFound``). Here the mount's prefix is this app's root."""

    def __init__(self, app: ASGIApp, *, router: Any) -> None:
        self.app = app
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            root = scope.get("root_path", "")
            scope = {**scope, "router": self.router, "app_root_path": root}
        await self.app(scope, receive, send)


class InternalErrorMiddleware:
    """Turns an unexpected exception into a plain 500 answer and a log line naming only
    its type. Without it the server logs the whole traceback, whose exception text may
    quote a field value (personal data); with ``-v`` the traceback is logged at DEBUG."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception as exc:
            log.error("internal error on %s: %s", scope.get("path", "?"), type(exc).__name__)
            log.debug("internal error: %s", safe_traceback(exc))
            if started:  # too late for another answer; the client sees a cut response
                return
            request = Request(scope)
            if _wants_html(request):
                home = scope.get("root_path", "") + "/"
                page = INTERNAL_ERROR_PAGE.replace('href="/"', f'href="{escape(home)}"')
                response: Response = HTMLResponse(page, status_code=500)
            else:
                response = JSONResponse({"detail": INTERNAL_ERROR_TEXT}, status_code=500)
            await response(scope, receive, send)


INTERNAL_ERROR_TEXT = "Something went wrong. The error was logged; please report it."
# Plain markup, no template: the templates themselves may be what failed.
INTERNAL_ERROR_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error · faxflow'
    f"</title></head><body><h1>Something went wrong</h1><p>{INTERNAL_ERROR_TEXT}</p>"
    '<p><a href="/">Back to start</a></p></body></html>'
)


def session_secret(settings: Settings) -> str:
    """``FAXFLOW_SESSION_SECRET``; in development without it, a local key file."""
    if settings.session_secret is not None and settings.session_secret.get_secret_value():
        secret = settings.session_secret.get_secret_value()
        if len(secret) < 32:
            raise ConfigError("FAXFLOW_SESSION_SECRET needs at least 32 characters")
        return secret
    return load_or_create_secret(settings.var_dir)


def create_app(
    settings: Settings | None = None,
    *,
    secure_cookies: bool = False,
    same_site: Literal["lax", "strict"] = "lax",
    session_max_age_s: int = 8 * 3600,
    idle_timeout_s: int = 30 * 60,
    engine: Engine | None = None,
) -> FastAPI:
    """The dashboard app for ``settings`` (default: from the environment).

    ``secure_cookies`` (or ``FAXFLOW_SECURE_COOKIES``) adds the ``Secure`` cookie flag and
    an HSTS header to every response (set it whenever the app is served over HTTPS; a
    request that arrives with the ``https`` scheme gets both anyway); sessions end after
    ``session_max_age_s``, or after ``idle_timeout_s`` without a request. The database
    schema must be current (``faxflow db upgrade``; ``faxflow dashboard`` migrates before
    serving).
    """
    from dashboard.routes import ROUTERS
    from loaders.db import engine_for

    settings = settings or get_settings()
    settings.require_secrets()  # production: refuse to start without its keys
    secure_cookies = secure_cookies or settings.secure_cookies
    app = FastAPI(
        title="faxflow review dashboard",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.dashboard = DashboardState(
        settings=settings,
        engine=engine or engine_for(settings.db_url),
        templates=build_templates(),
        throttle=LoginThrottle(),
        idle_timeout_s=idle_timeout_s,
    )
    _install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static")
    # Outermost last: headers wrap everything, including session errors.
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie=SESSION_COOKIE,
        max_age=session_max_age_s,
        same_site=same_site,
        https_only=secure_cookies,
    )
    app.add_middleware(InternalErrorMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, https=secure_cookies)
    app.add_middleware(OwnRouterMiddleware, router=app.router)
    return app
