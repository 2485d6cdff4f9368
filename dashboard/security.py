"""Browser-facing protections: security headers, CSRF tokens, the session secret, masking.

Health and identity data pass through these pages, so the defaults are strict: a
Content-Security-Policy that allows only this server's own scripts and styles (no inline
script, no CDN), no framing, no caching of anything but static files, and a per-session
CSRF token that every state-changing request must echo back.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_SESSION_KEY = "csrf"
CSRF_FORM_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS: dict[str, str] = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
NO_STORE = "no-store"


HSTS = "max-age=31536000"  # browsers use HTTPS only for this site, for a year


def _secure_cookie(header: str) -> str:
    """A ``Set-Cookie`` value with the ``Secure`` flag (added once)."""
    flags = [part.strip().lower() for part in header.split(";")[1:]]
    return header if "secure" in flags else f"{header}; Secure"


class SecurityHeadersMiddleware:
    """Adds :data:`SECURITY_HEADERS` to every response, and ``Cache-Control: no-store`` to
    every response outside ``cacheable_prefixes``: pages may show personal data, and a
    shared clinic computer's browser cache must not keep them.

    Whenever a request came over HTTPS — ``https=True`` (the operator says so), or the
    server saw the ``https`` scheme (TLS at uvicorn or Airflow's API server, or a trusted
    proxy's ``X-Forwarded-Proto``) — the response also gets HSTS and every cookie it sets
    the ``Secure`` flag, so a mounted dashboard is as strict as a standalone one."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        cacheable_prefixes: Iterable[str] = ("/static/",),
        https: bool = False,
    ) -> None:
        self.app = app
        self.cacheable_prefixes = tuple(cacheable_prefixes)
        self.headers = dict(SECURITY_HEADERS)
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        root_path: str = scope.get("root_path", "")
        if root_path and path.startswith(root_path):
            path = path[len(root_path) :]
        cacheable = path.startswith(self.cacheable_prefixes)
        https = self.https or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
                if https:
                    headers["strict-transport-security"] = HSTS
                    cookies = headers.getlist("set-cookie")
                    if cookies:
                        del headers["set-cookie"]
                        for cookie in cookies:
                            headers.append("set-cookie", _secure_cookie(cookie))
                if not cacheable:
                    headers["cache-control"] = NO_STORE
                    headers["pragma"] = "no-cache"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def new_csrf_token() -> str:
    """A fresh unguessable token (stored in the signed session, echoed by every form)."""
    return secrets.token_urlsafe(32)


def csrf_token_matches(expected: str | None, submitted: str | None) -> bool:
    """Constant-time comparison; a missing token on either side never matches."""
    if not expected or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())


def load_or_create_secret(var_dir: Path) -> str:
    """The key that signs session cookies, kept in ``var_dir/dashboard_secret`` (mode 0600)
    so sessions survive a restart. Delete the file to log everybody out."""
    path = var_dir / "dashboard_secret"
    if path.is_file():
        secret = path.read_text("utf-8").strip()
        if len(secret) >= 32:
            return secret
    var_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    # O_EXCL-free write through a private temp file, then an atomic rename.
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret)
    tmp.replace(path)
    return secret


def mask_ssn(value: object) -> str | None:
    """``123456789`` → ``•••-••-6789``; anything else that is not empty → fully masked."""
    if value is None or value == "":
        return None
    text = str(value)
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 9:
        return f"•••-••-{digits[-4:]}"
    return "•" * 9


def safe_next_path(candidate: str | None, default: str = "/") -> str:
    """A redirect target after login: only a local absolute path, never another site
    (``//evil.example`` and ``/\\evil`` are refused too)."""
    if not candidate or not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
        return default
    if any(ch in candidate for ch in "\r\n\t"):
        return default
    return candidate
