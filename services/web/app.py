"""The front service: the one address people open. It serves server-rendered pages (Jinja) in
the region's languages and keeps no data: every page reads and writes through the four
services' APIs with the signed-in person's token, so access is decided where the data live.
Forms work without JavaScript; the little script there is only improves on them."""

from __future__ import annotations

import uuid

from flask import Flask, Response, g, jsonify, redirect, request, url_for
from werkzeug.exceptions import HTTPException

from services.web import languages, pages
from services.web.backend import Backend, ServiceError
from services.web.pages import SignInAgain, home
from services.web.session import forget, identify, remember
from shared import logs
from shared.auth import TokenVerifier
from shared.settings import SERVICE_NAMES, Settings
from shared.web import CORRELATION_HEADER

LANGUAGE_COOKIE = "actnow_lang"

# Pages draw their charts as inline SVG and style with one stylesheet: nothing from elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env("web")
    logs.configure(settings.service, settings.log_level)
    app = Flask("services.web")
    app.extensions["actnow.settings"] = settings
    app.extensions["actnow.backend"] = backend = Backend(
        {name: settings.service_url(name) for name in SERVICE_NAMES}
    )
    verifier = TokenVerifier(settings.jwks_url)
    catalogues = languages.load_catalogues()
    app.jinja_env.add_extension("jinja2.ext.i18n")
    # newstyle: `_("%(n)s cases", n=3)` formats and escapes its arguments
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: g.translations.gettext(message),
        lambda singular, plural, n: g.translations.ngettext(singular, plural, n),
        newstyle=True,
    )
    app.jinja_env.policies["ext.i18n.trimmed"] = True

    @app.before_request
    def prepare() -> None:
        sent = request.headers.get(CORRELATION_HEADER, "")
        try:
            g.correlation_id = uuid.UUID(sent)
        except ValueError:
            g.correlation_id = uuid.uuid4()
        g.language = languages.negotiate(
            request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE),
            languages.accepted_languages(request.accept_languages),
        )  # fmt: skip
        g.translations = catalogues[g.language.code]
        g.formats = languages.Formats(g.language)
        if request.endpoint not in ("static", "healthz", "readyz"):
            identify(verifier, backend)

    @app.after_request
    def finish(response: Response) -> Response:
        secure = settings.cookie_secure
        if g.get("new_tokens"):
            remember(response, g.new_tokens, secure)
        if g.get("forget_session"):
            forget(response, secure)
        if request.args.get("lang") in languages.BY_CODE:
            response.set_cookie(LANGUAGE_COOKIE, g.language.code, max_age=365 * 24 * 3600,
                                secure=secure, httponly=True, samesite="Lax")  # fmt: skip
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Content-Language", g.get("language", languages.DEFAULT).code)
        if g.get("user") is not None and request.endpoint != "static":
            headers["Cache-Control"] = "no-store"  # pages of a signed-in person stay private
        if "correlation_id" in g:
            headers[CORRELATION_HEADER] = str(g.correlation_id)
        return response

    @app.context_processor
    def common() -> dict:
        return {
            "user": g.get("user"), "language": g.get("language"),
            "languages": languages.LANGUAGES, "fmt": g.get("formats"),
            "node": settings.node,
        }  # fmt: skip

    @app.errorhandler(SignInAgain)
    def sign_in_again(_: SignInAgain) -> Response:
        response = redirect(url_for("signin.login", next=request.full_path.rstrip("?")))
        forget(response, settings.cookie_secure)
        return response

    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError) -> tuple[str, int]:
        return home.error_page(error.status, error.detail)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        return home.error_page(error.code or 500, "")

    @app.errorhandler(500)
    def unexpected(_: Exception) -> tuple[str, int]:
        return home.error_page(500, "")  # Flask has logged it with its traceback

    @app.route("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok", service="web")

    @app.route("/readyz")
    def readyz() -> tuple[Response, int]:
        try:
            backend.call("identity", "GET", "/.well-known/jwks.json")
        except ServiceError as error:
            return jsonify(status="not ready", checks={"identity": str(error)}), 503
        return jsonify(status="ready", checks={"identity": "ok"}), 200

    for blueprint in pages.blueprints():
        app.register_blueprint(blueprint)
    return app
