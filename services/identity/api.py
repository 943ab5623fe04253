"""The identity service's HTTP contract: keys, sign-in (tokens and browser sessions),
organisations and users."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, jsonify, make_response, request, url_for
from psycopg_pool import ConnectionPool

from services.identity import directory
from services.identity.authentication import Authenticator, Tokens
from services.identity.credentials import Credentials, check_strength
from services.identity.directory import Organisation, User
from services.identity.events import COUNTRIES
from services.identity.projections import Directory
from services.identity.schemas import (
    CsrfOut,
    DeactivationIn,
    GrantSchema,
    MeOut,
    OrganisationIn,
    OrganisationOut,
    OrganisationQuery,
    PasswordChangeIn,
    PasswordResetIn,
    SessionIn,
    SessionOut,
    TokenOut,
    TokenRequest,
    UserIn,
    UserOut,
    UserPage,
    UserQuery,
)
from services.identity.signing_keys import KeyRing
from shared.auth import (
    CSRF_FIELD,
    SESSION_COOKIE,
    Grant,
    Principal,
    authenticated,
    check_csrf,
)
from shared.backbone.envelope import NewEvent
from shared.backbone.projections import query_read_model
from shared.backbone.store import EventStore, ExpectedVersion
from shared.blueprint import Blueprint
from shared.errors import Conflict, Forbidden, NotFound, PreconditionFailed, Unauthenticated
from shared.settings import Settings
from shared.web import etag, event_context, if_match_version, stream_precondition

REFRESH_COOKIE = "actnow_refresh"
CSRF_COOKIE = "actnow_csrf"
LOGIN_CSRF_COOKIE = "actnow_login_csrf"
SESSION_PATH = "/api/v1/auth/session"


@dataclass(frozen=True)
class Identity:
    """What the identity endpoints work with (kept in app.extensions["actnow.identity"])."""

    settings: Settings
    pool: ConnectionPool
    store: EventStore
    credentials: Credentials
    authenticator: Authenticator
    key_ring: KeyRing


def identity() -> Identity:
    return current_app.extensions["actnow.identity"]


# --- keys -----------------------------------------------------------------------------------
def jwks_blueprint(key_ring: KeyRing) -> Blueprint:
    blp = Blueprint("keys", __name__, description="Token signing keys")

    @blp.route("/.well-known/jwks.json")
    @blp.doc(summary="The public keys that verify this service's tokens (RFC 7517)")
    @blp.response(200, description="The JSON Web Key Set")
    def jwks() -> Response:
        response = jsonify(key_ring.jwks())
        # verifiers cache it; a rotated key is published a while before it signs
        response.headers["Cache-Control"] = "public, max-age=60"
        return response

    return blp


# --- signing in -----------------------------------------------------------------------------
auth = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Signing in")
# the sign-in endpoints read JSON or a browser's form post (webargs' `json_or_form`), a
# location flask-smorest does not document (it would leave the body out of the OpenAPI
# document): it is documented as the JSON body API clients send
auth.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
    **Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
    "json_or_form": "application/json",
}


@auth.route("/token", methods=["POST"])
@auth.arguments(TokenRequest, location="json_or_form")
@auth.response(200, TokenOut)
@auth.alt_response(401, description="Wrong credentials or refresh token")
@auth.alt_response(429, description="Too many failed sign-ins; see Retry-After")
def token(body: dict[str, Any]) -> dict[str, Any]:
    """Username and password, or a refresh token, for a short-lived access token (EdDSA JWT)
    and the next refresh token."""
    authenticator = identity().authenticator
    if body["grant_type"] == "password":
        tokens = authenticator.login(body["username"], body["password"], _address(), "token")
    else:
        tokens = authenticator.refresh(body["refresh_token"], _address())
    return {"access_token": tokens.access_token, "token_type": "Bearer",
            "expires_in": tokens.expires_in, "refresh_token": tokens.refresh.token,
            "csrf_token": tokens.csrf}  # fmt: skip


@auth.route("/session/csrf")
@auth.response(200, CsrfOut)
def login_csrf() -> Response:
    """A CSRF token for a sign-in form (double-submitted: cookie and form field)."""
    value = secrets.token_urlsafe(24)
    response = jsonify(csrf_token=value)
    _cookie(response, LOGIN_CSRF_COOKIE, value, max_age=3600, http_only=True, path=SESSION_PATH)
    return response


@auth.route("/session", methods=["POST"])
@auth.arguments(SessionIn, location="json_or_form")
@auth.response(200, SessionOut)
@auth.alt_response(401, description="Wrong credentials")
@auth.alt_response(429, description="Too many failed sign-ins; see Retry-After")
def start_session(body: dict[str, Any]) -> Response:
    """Signs a browser in: the access token goes into an HttpOnly, SameSite=Lax cookie, the
    refresh token into one only this path receives; the CSRF token is returned and set in a
    readable cookie, to be echoed in the X-CSRF-Token header or the csrf_token form field."""
    if not request.is_json:
        # a form post may come from another site's page: it must echo the sign-in form's token
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not expected or not secrets.compare_digest(body.get("csrf_token", ""), expected):
            raise Forbidden(
                "the sign-in form's CSRF token is missing or wrong",
                {CSRF_FIELD: ["Missing or wrong."]},
            )
    tokens = identity().authenticator.login(
        body["username"], body["password"], _address(), "session"
    )
    return _session_response(tokens)


@auth.route("/session/refresh", methods=["POST"])
@auth.response(200, SessionOut)
def refresh_session() -> Response:
    """A new access token (and refresh token) for the browser session."""
    _check_double_submitted_csrf()
    refresh = request.cookies.get(REFRESH_COOKIE)
    if not refresh:
        raise Unauthenticated("there is no session to refresh")
    return _session_response(identity().authenticator.refresh(refresh, _address()))


@auth.route("/session", methods=["DELETE"])
@auth.response(204)
def end_session() -> Response:
    """Signs the browser out: its refresh-token family is revoked and the cookies cleared."""
    _check_double_submitted_csrf()
    refresh = request.cookies.get(REFRESH_COOKIE)
    if refresh:
        identity().authenticator.logout(refresh)
    response = make_response("", 204)
    for name, path in ((SESSION_COOKIE, "/"), (CSRF_COOKIE, "/"), (REFRESH_COOKIE, SESSION_PATH)):
        response.delete_cookie(name, path=path, secure=_secure(), httponly=True, samesite="Lax")
    return response


@auth.route("/me")
@auth.response(200, MeOut)
def me() -> dict[str, Any]:
    """The signed-in user as the token states it."""
    principal = authenticated()
    grants = [{"role": grant.role, "scope": grant.scope} for grant in principal.grants]
    return {"username": principal.user, "display_name": principal.name,
            "organisation_id": principal.organisation, "grants": grants}  # fmt: skip


@auth.route("/password", methods=["POST"])
@auth.arguments(PasswordChangeIn)
@auth.response(204)
@auth.alt_response(404, description="The token's user is not in the directory")
def change_own_password(body: dict[str, Any]) -> Response:
    """Changes the caller's password; every earlier token and session of theirs ends."""
    principal = authenticated()
    service = identity()
    user = _user_or_404(principal.user)
    if not service.credentials.verify(user.username, user.credential_id, body["current_password"]):
        raise Forbidden("the current password is wrong", {"current_password": ["Wrong."]})
    check_strength(body["new_password"], user.username, "new_password")
    credential_id = service.credentials.store(user.username, body["new_password"])
    _append(user, directory.change_password(
        user, credential_id, False, **event_context(principal)))  # fmt: skip
    return make_response("", 204)


def _session_response(tokens: Tokens) -> Response:
    response = jsonify(SessionOut().dump({
        "user": _user_out(tokens.user), "csrf_token": tokens.csrf,
        "expires_in": tokens.expires_in,
    }))  # fmt: skip
    _cookie(response, SESSION_COOKIE, tokens.access_token, tokens.expires_in, http_only=True)
    _cookie(response, CSRF_COOKIE, tokens.csrf, tokens.expires_in, http_only=False)
    refresh_age = int(
        (tokens.refresh.expires_at - identity().authenticator.clock()).total_seconds()
    )
    _cookie(response, REFRESH_COOKIE, tokens.refresh.token, refresh_age, http_only=True,
            path=SESSION_PATH, same_site="Strict")  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


def _cookie(
    response: Response,
    name: str,
    value: str,
    max_age: int,
    http_only: bool,
    path: str = "/",
    same_site: str = "Lax",
) -> None:
    response.set_cookie(name, value, max_age=max_age, path=path, secure=_secure(),
                        httponly=http_only, samesite=same_site)  # fmt: skip


def _check_double_submitted_csrf() -> None:
    """Refresh and sign-out may come after the access token expired, so the CSRF token is
    checked against its cookie (which another site's page can neither read nor set)."""
    check_csrf(request.cookies.get(CSRF_COOKIE, ""))


def _secure() -> bool:
    return identity().settings.cookie_secure


def _address() -> str:
    return (request.remote_addr or "unknown")[:64]


# --- organisations and users ----------------------------------------------------------------
people = Blueprint("directory", __name__, url_prefix="/api/v1",
                   description="Organisations, users and their roles")  # fmt: skip


@people.route("/organisations", methods=["POST"])
@people.arguments(OrganisationIn)
@people.response(201, OrganisationOut)
def register_organisation(body: dict[str, Any]) -> Response:
    """Registers an organisation (national_admin of its country, or platform_admin)."""
    principal = authenticated()
    organisation_id, event = directory.register_organisation(
        principal, body["name"], body["country"], body["type"], **event_context(principal)
    )
    result = identity().store.append(
        directory.organisation_stream(organisation_id), ExpectedVersion.NO_STREAM, [event]
    )
    response = jsonify(OrganisationOut().dump({**event.payload}))
    response.status_code = 201
    response.headers["ETag"] = etag(result.stream_version)
    response.headers["Location"] = url_for(
        "directory.get_organisation", organisation_id=organisation_id
    )
    return response


@people.route("/organisations")
@people.arguments(OrganisationQuery, location="query")
@people.response(200, OrganisationOut(many=True))
def list_organisations(query: dict[str, Any]) -> list[dict[str, Any]]:
    """The organisations of the countries the caller may read (read model: may lag ~1 s)."""
    countries = _readable_countries(authenticated(), query.get("country"))
    return _rows(
        "SELECT organisation_id, name, country, type FROM {schema}.organisations"
        " WHERE country = ANY(%s) ORDER BY country, name",
        (countries,),
    )


@people.route("/organisations/<uuid:organisation_id>")
@people.response(200, OrganisationOut)
def get_organisation(organisation_id: uuid.UUID) -> Response:
    principal = authenticated()
    organisation = _organisation_or_404(organisation_id)
    if not directory.may_read_country(principal, organisation.country):
        raise Forbidden(f"this needs national_admin or auditor for {organisation.country}")
    return jsonify(OrganisationOut().dump(organisation.__dict__))


@people.route("/users", methods=["POST"])
@people.arguments(UserIn)
@people.response(201, UserOut)
@people.alt_response(404, description="No such organisation")
@people.alt_response(409, description="The username is taken")
def register_user(body: dict[str, Any]) -> Response:
    """Registers a user of an organisation, with a first password and roles."""
    principal = authenticated()
    service = identity()
    organisation = _organisation_or_404(body["organisation_id"], field="organisation_id")
    if not directory.may_administer_country(principal, organisation.country):
        raise Forbidden(f"this needs national_admin for {organisation.country}, or platform_admin")
    if service.authenticator.user(body["username"]) is not None:
        raise Conflict(f"the username {body['username']!r} is taken", {"username": ["Taken."]})
    grants = [Grant(g_["role"], g_["scope"]) for g_ in body["grants"]]
    # decided once without a credential so that a refused command hashes nothing
    directory.register_user(principal, organisation, body["username"], body["display_name"],
                            uuid.uuid4(), grants)  # fmt: skip
    check_strength(body["password"], body["username"])
    credential_id = service.credentials.store(body["username"], body["password"])
    events = directory.register_user(principal, organisation, body["username"],
                                     body["display_name"], credential_id, grants,
                                     **event_context(principal))  # fmt: skip
    with stream_precondition(None):
        service.store.append(
            directory.user_stream(body["username"]), ExpectedVersion.NO_STREAM, events
        )
    user = _user_or_404(body["username"])
    response = _user_response(user)
    response.status_code = 201
    response.headers["Location"] = url_for("directory.get_user", username=user.username)
    return response


@people.route("/users")
@people.arguments(UserQuery, location="query")
@people.response(200, UserPage)
def list_users(query: dict[str, Any]) -> dict[str, Any]:
    """The users of the countries the caller may read, by username, a page at a time."""
    countries = _readable_countries(authenticated(), query.get("country"))
    conditions, params = ["u.country = ANY(%s)"], [countries]
    for name in ("organisation_id", "active"):
        if name in query:
            conditions.append(f"u.{name} = %s")
            params.append(query[name])
    if "after" in query:
        conditions.append("u.username > %s")
        params.append(query["after"])
    rows = _rows(
        "SELECT u.username, u.display_name, u.organisation_id, u.country, u.active,"
        " u.last_login_at, coalesce(json_agg(json_build_object('role', g.role, 'scope', g.scope)"
        " ORDER BY g.scope, g.role) FILTER (WHERE g.role IS NOT NULL), '[]') AS grants"
        " FROM {schema}.users u LEFT JOIN {schema}.grants g ON g.username = u.username"
        f" WHERE {' AND '.join(conditions)} GROUP BY u.username, u.display_name,"
        " u.organisation_id, u.country, u.active, u.last_login_at"
        " ORDER BY u.username LIMIT %s",
        (*params, query["limit"]),
    )
    full = len(rows) == query["limit"]
    return {"users": rows, "next_after": rows[-1]["username"] if full else None}


@people.route("/users/<username>")
@people.response(200, UserOut)
def get_user(username: str) -> Response:
    principal = authenticated()
    user = _user_or_404(username)
    if principal.user != user.username and not directory.may_read_country(principal, user.country):
        raise Forbidden(f"this needs national_admin or auditor for {user.country}")
    return _user_response(user)


@people.route("/users/<username>/grants", methods=["POST"])
@people.arguments(GrantSchema)
@people.response(200, UserOut)
def grant_role(body: dict[str, Any], username: str) -> Response:
    """Grants a role for a country (or regionally). Granting a held role changes nothing."""
    return _user_command(username, lambda principal, user, context: directory.grant_role(
        principal, user, Grant(body["role"], body["scope"]), **context))  # fmt: skip


@people.route("/users/<username>/grants/<role>/<scope>", methods=["DELETE"])
@people.response(200, UserOut)
def revoke_role(username: str, role: str, scope: str) -> Response:
    """Revokes a role; the user's tokens that carry it stop working everywhere."""
    return _user_command(username, lambda principal, user, context: directory.revoke_role(
        principal, user, Grant(role, scope), **context))  # fmt: skip


@people.route("/users/<username>/deactivate", methods=["POST"])
@people.arguments(DeactivationIn)
@people.response(200, UserOut)
def deactivate_user(body: dict[str, Any], username: str) -> Response:
    """Deactivates a user: sign-in refused, tokens and sessions end in every service."""
    return _user_command(username, lambda principal, user, context: directory.deactivate(
        principal, user, body["reason"], **context))  # fmt: skip


@people.route("/users/<username>/reactivate", methods=["POST"])
@people.response(200, UserOut)
def reactivate_user(username: str) -> Response:
    return _user_command(username, lambda principal, user, context: directory.reactivate(
        principal, user, **context))  # fmt: skip


@people.route("/users/<username>/password", methods=["PUT"])
@people.arguments(PasswordResetIn)
@people.response(200, UserOut)
def reset_password(body: dict[str, Any], username: str) -> Response:
    """An administrator sets a new password (e.g. a forgotten one); the user's sessions end."""

    def decide(principal: Principal, user: User, context: dict[str, Any]) -> list[NewEvent]:
        directory.check_may_administer_user(principal, user)
        check_strength(body["password"], user.username)
        credential_id = identity().credentials.store(user.username, body["password"])
        return directory.change_password(user, credential_id, True, **context)

    return _user_command(username, decide)


# --- helpers --------------------------------------------------------------------------------
Decision = Callable[[Principal, User, dict[str, Any]], Sequence[NewEvent]]


def _user_command(username: str, decide: Decision) -> Response:
    """Reads the user's stream, decides, appends at the version read (or the If-Match one)."""
    principal = authenticated()
    user = _user_or_404(username)
    expected = if_match_version()
    if expected is not None and expected != user.version:
        raise PreconditionFailed(
            f"the user is at version {user.version}, not {expected}: read it again",
            {"If-Match": [f"Current ETag is {etag(user.version)}."]},
        )
    events = decide(principal, user, event_context(principal))
    if events:
        _append(user, events)
        user = _user_or_404(username)
    return _user_response(user)


def _append(user: User, events: Sequence[NewEvent]) -> None:
    with stream_precondition(user.version):
        identity().store.append(directory.user_stream(user.username), user.version, events)


def _user_or_404(username: str) -> User:
    user = identity().authenticator.user(username)
    if user is None:
        raise NotFound(f"there is no user {username!r}", {"username": ["Unknown."]})
    return user


def _organisation_or_404(
    organisation_id: uuid.UUID, field: str = "organisation_id"
) -> Organisation:
    events = identity().store.read_stream(directory.organisation_stream(organisation_id))
    organisation = directory.organisation_from(events)
    if organisation is None:
        raise NotFound(f"there is no organisation {organisation_id}", {field: ["Unknown."]})
    return organisation


def _user_out(user: User) -> dict[str, Any]:
    return {
        "username": user.username, "display_name": user.display_name,
        "organisation_id": user.organisation_id, "country": user.country,
        "active": user.active, "version": user.version,
        "grants": [{"role": g_.role, "scope": g_.scope}
                   for g_ in sorted(user.grants, key=lambda g_: (g_.scope, g_.role))],
    }  # fmt: skip


def _user_response(user: User) -> Response:
    response = jsonify(UserOut().dump(_user_out(user)))
    response.headers["ETag"] = etag(user.version)
    return response


def _readable_countries(principal: Principal, country: str | None) -> list[str]:
    wanted = [country] if country else list(COUNTRIES)
    readable = [c for c in wanted if directory.may_read_country(principal, c)]
    if not readable:
        where = f" for {country}" if country else ""
        raise Forbidden(f"this needs national_admin or auditor{where}, or platform_admin")
    return readable


def _rows(query: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    service = identity()
    directory_model = Directory(service.settings.events_topic("identity"))
    return query_read_model(service.pool, service.settings.schema, directory_model, query, params)
