"""What every page shares: calling a service as the signed-in person, who may open a page,
and rendering with the common context. Each page module is one Flask blueprint named after
the work it supports."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from werkzeug.exceptions import Forbidden

from services.web.backend import Answer, Backend, ServiceError
from services.web.session import csrf_ok

View = TypeVar("View", bound=Callable[..., Any])


class SignInAgain(Exception):
    """The session ended (expired, signed out elsewhere, or the person was deactivated)."""


def backend() -> Backend:
    return current_app.extensions["actnow.backend"]


def call(service: str, method: str, path: str, **kwargs: Any) -> Answer:
    """Calls a service as the signed-in person; a refused token means signing in again."""
    try:
        return backend().call(service, method, path, token=g.get("token"),
                              correlation_id=str(g.correlation_id),
                              language=g.language.code, **kwargs)  # fmt: skip
    except ServiceError as error:
        if error.status == 401:
            raise SignInAgain() from error
        raise


def get(service: str, path: str, **params: Any) -> Any:
    """The JSON body of a GET; parameters that are None or empty are left out."""
    kept = {key: value for key, value in params.items() if value not in (None, "")}
    return call(service, "GET", path, params=kept).body


def signed_in(*roles: str) -> Callable[[View], View]:
    """Only for signed-in people, and, if roles are named, only those holding one of them (in
    any country: the service called decides about the country)."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if g.user is None:
                return redirect(url_for("signin.login", next=request.full_path.rstrip("?")))
            if roles and not g.user.has_role(*roles):
                raise Forbidden()
            if request.method not in ("GET", "HEAD") and not csrf_ok(g.user):
                raise Forbidden()  # a form posted from another site, or an old page
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def translate(message: str, **values: Any) -> str:
    """A UI string in the reader's language, its %(name)s placeholders filled (pages import
    it as `_`, the name `make translations` extracts)."""
    text = g.translations.gettext(message)
    return text % values if values else text


def page(template: str, **context: Any) -> str:
    return render_template(template, **context)


def form_values() -> dict[str, str]:
    """The posted form without its CSRF token."""
    return {key: value for key, value in request.form.items() if key != "csrf_token"}


def user_countries() -> list[str]:
    """The countries the signed-in person works in (all five for regional grants)."""
    countries = sorted(g.user.countries) if g.user else []
    return countries or list(current_app.extensions["actnow.settings"].countries)


def blueprints() -> list[Blueprint]:
    """Every page module's blueprint (`blp`): a new module is a new set of pages."""
    found = []
    for module in pkgutil.iter_modules(__path__):
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        if isinstance(getattr(loaded, "blp", None), Blueprint):
            found.append(loaded.blp)
    return found
