"""Who is signed in: the access token the identity service issued, kept in an HttpOnly cookie
(SameSite=Lax), and its refresh token in another (SameSite=Strict). The pages verify the token
locally with the identity service's published keys; each service the pages call verifies it
again and decides what it allows.

Every form of a signed-in page carries the session's CSRF token (a claim of the signed token),
so another site cannot post a form in the person's name.
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, g, request

from services.web.backend import Backend, ServiceError
from shared.auth import CSRF_FIELD, SESSION_COOKIE, Principal, TokenVerifier
from shared.errors import Problem

REFRESH_COOKIE = "actnow_web_refresh"
LOGIN_CSRF_COOKIE = "actnow_login_csrf"
REFRESH_AGE = 14 * 24 * 3600


@dataclass(frozen=True)
class Tokens:
    access: str
    refresh: str
    expires_in: int


def sign_in(backend: Backend, username: str, password: str) -> Tokens:
    """Raises ServiceError (401 wrong credentials, 429 throttled, 422 a field missing)."""
    answer = backend.call("identity", "POST", "/api/v1/auth/token", json={
        "grant_type": "password", "username": username, "password": password,
    }, correlation_id=str(g.correlation_id))  # fmt: skip
    return _tokens(answer.body)


def refreshed(backend: Backend, refresh: str) -> Tokens:
    answer = backend.call("identity", "POST", "/api/v1/auth/token", json={
        "grant_type": "refresh_token", "refresh_token": refresh,
    }, correlation_id=str(g.correlation_id))  # fmt: skip
    return _tokens(answer.body)


def sign_out(backend: Backend, refresh: str, csrf: str) -> None:
    """Ends the refresh-token family at the identity service (its session endpoint checks the
    CSRF token double-submitted, as a browser of its own would send it)."""
    # the cookies are cleared anyway; an unknown refresh token ends nothing
    with contextlib.suppress(ServiceError):
        backend.call("identity", "DELETE", "/api/v1/auth/session",
                     cookies={"actnow_refresh": refresh, "actnow_csrf": csrf},
                     headers={"X-CSRF-Token": csrf})  # fmt: skip


def _tokens(body: dict[str, Any]) -> Tokens:
    return Tokens(body["access_token"], body["refresh_token"], int(body["expires_in"]))


def identify(verifier: TokenVerifier, backend: Backend) -> None:
    """Sets g.user and g.token for this request, refreshing an expired access token."""
    g.user, g.token, g.new_tokens = None, None, None
    access, refresh = request.cookies.get(SESSION_COOKIE), request.cookies.get(REFRESH_COOKIE)
    if access:
        try:
            g.user, g.token = verifier.verify(access), access
            return
        except Problem:
            pass  # expired (or revoked, or signed with a retired key): try the refresh token
    if refresh:
        try:
            tokens = refreshed(backend, refresh)
            g.user, g.token, g.new_tokens = verifier.verify(tokens.access), tokens.access, tokens
        except (ServiceError, Problem):
            g.forget_session = True


def remember(response: Response, tokens: Tokens, secure: bool) -> None:
    response.set_cookie(SESSION_COOKIE, tokens.access, max_age=tokens.expires_in, path="/",
                        secure=secure, httponly=True, samesite="Lax")  # fmt: skip
    response.set_cookie(REFRESH_COOKIE, tokens.refresh, max_age=REFRESH_AGE, path="/",
                        secure=secure, httponly=True, samesite="Strict")  # fmt: skip


def forget(response: Response, secure: bool) -> None:
    for name in (SESSION_COOKIE, REFRESH_COOKIE):
        response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="Lax")


def login_csrf_token() -> str:
    """The sign-in form's token: double-submitted (cookie and field), as no session exists."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    g.login_csrf = token
    return token


def login_csrf_ok() -> bool:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    sent = request.form.get(CSRF_FIELD, "")
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def csrf_ok(user: Principal) -> bool:
    sent = request.form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token") or ""
    return bool(user.csrf) and hmac.compare_digest(sent.encode(), user.csrf.encode())


def secure_cookies() -> bool:
    return current_app.extensions["actnow.settings"].cookie_secure
