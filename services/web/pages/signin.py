"""Signing in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, g, make_response, redirect, request, url_for

from services.web.backend import ServiceError
from services.web.pages import backend, page
from services.web.session import (
    LOGIN_CSRF_COOKIE,
    REFRESH_COOKIE,
    csrf_ok,
    forget,
    login_csrf_ok,
    login_csrf_token,
    remember,
    secure_cookies,
    sign_in,
    sign_out,
)

blp = Blueprint("signin", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path of this site: a sign-in link must not send anyone elsewhere."""
    if not target:
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home.index")
    return target


@blp.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    errors: dict[str, str] = {}
    status = 200
    username = request.form.get("username", "")
    if request.method == "POST":
        if not login_csrf_ok():
            errors["form"] = g.translations.gettext("The form has expired. Please sign in again.")
            status = 400
        elif not username or not request.form.get("password"):
            if not username:
                errors["username"] = g.translations.gettext("Enter your username.")
            if not request.form.get("password"):
                errors["password"] = g.translations.gettext("Enter your password.")
            status = 422
        else:
            try:
                tokens = sign_in(backend(), username, request.form["password"])
            except ServiceError as error:
                status = error.status if error.status in (401, 429) else 422
                throttled = g.translations.gettext(
                    "Too many failed attempts. Wait a few minutes and try again."
                )
                wrong = g.translations.gettext("Wrong username or password.")
                errors["form"] = throttled if error.status == 429 else wrong
            else:
                response = redirect(_safe_next(request.args.get("next")))
                remember(response, tokens, secure_cookies())
                response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
                return response
    token = login_csrf_token()
    body = page("signin/login.html", errors=errors, username=username, login_csrf=token)
    response = make_response(body, status)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, path="/",
                        secure=secure_cookies(), httponly=True, samesite="Strict")  # fmt: skip
    return response


@blp.route("/logout", methods=["POST"])
def logout() -> Response:
    if g.user is not None and csrf_ok(g.user):
        refresh = request.cookies.get(REFRESH_COOKIE)
        if refresh:
            sign_out(backend(), refresh, g.user.csrf)
    elif g.user is not None:
        return redirect(url_for("home.index"))
    response = redirect(url_for("signin.login"))
    forget(response, secure_cookies())
    g.user = None
    return response
