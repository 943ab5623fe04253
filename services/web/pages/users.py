"""The administrators' user pages: the users of their country (all countries for a platform
administrator), adding a user, granting and revoking roles, deactivating and reactivating.
The identity service decides who may change whom; its refusals are shown next to the field
they name."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, g, redirect, request, url_for
from werkzeug.exceptions import NotFound

from services.identity.directory import NATIONAL_ROLES, REGIONAL_ONLY_ROLES
from services.web.backend import ServiceError
from services.web.forms import Choice, FieldSpec
from services.web.labels import N_
from services.web.pages import call, get, page, signed_in
from shared.auth import REGIONAL, ROLES, Principal

blp = Blueprint("users", __name__, url_prefix="/users")

ADMINS = ("national_admin", "platform_admin")
PAGE_SIZE = 50
ROLE_LABELS = {
    "national_admin": N_("National administrator"), "monitor": N_("Monitor"),
    "case_worker": N_("Case worker"), "data_provider": N_("Data provider"),
    "reviewer": N_("Reviewer"), "regional_analyst": N_("Regional analyst"),
    "auditor": N_("Auditor"), "platform_admin": N_("Platform administrator"),
}  # fmt: skip
# a new user's first role: the identity service names its problems by "role" or "scope"
FIELD_OF_ERROR = {"scope": "role", "grants": "role"}


# --- who may do what (pure) -----------------------------------------------------------------
def is_platform_admin(principal: Principal) -> bool:
    return principal.has_role("platform_admin")


def may_administer(principal: Principal, user: dict[str, Any]) -> bool:
    """As the identity service decides: platform administrators anyone; a national
    administrator the users of their country who hold no regional role."""
    if is_platform_admin(principal):
        return True
    regional = any(grant["scope"] == REGIONAL for grant in user.get("grants", ()))
    return principal.may(["national_admin"], user["country"]) and not regional


def grantable_roles(principal: Principal) -> list[str]:
    return sorted(ROLES if is_platform_admin(principal) else NATIONAL_ROLES)


def scopes_for(principal: Principal, country: str) -> list[str]:
    """Where a role may be granted to a user of `country`: regional grants are the platform
    administrators' to give."""
    return [country, REGIONAL] if is_platform_admin(principal) else [country]


def first_grant(role: str, country: str) -> list[dict[str, str]]:
    """The role a new user starts with, for their organisation's country (or regionally, for
    the roles that exist only regionally)."""
    if not role:
        return []
    return [{"role": role, "scope": REGIONAL if role in REGIONAL_ONLY_ROLES else country}]


def field_errors(error: ServiceError, renamed: dict[str, str] | None = None) -> dict[str, str]:
    """The service's messages by the form's field names (`renamed`: service name -> field)."""
    found: dict[str, str] = {}
    for name, message in error.field_errors().items():
        field = (renamed or {}).get(name, name)
        found[field] = f"{found[field]} {message}" if field in found else message
    return found or {"form": error.detail}


# --- pages ----------------------------------------------------------------------------------
def _t(message: str) -> str:
    return g.translations.gettext(message)


def _role_choices(roles: list[str]) -> tuple[Choice, ...]:
    return tuple(Choice(role, _t(ROLE_LABELS.get(role, role))) for role in roles)


def _organisations() -> list[dict[str, Any]]:
    return get("identity", "/api/v1/organisations")


@blp.route("/")
@signed_in(*ADMINS)
def index() -> str:
    country = request.args.get("country") or None
    number = int(request.args["page"]) if request.args.get("page", "").isdigit() else 1
    number = max(number, 1)
    after: str | None = None
    found: dict[str, Any] = {"users": [], "next_after": None}
    for _ in range(number):  # the identity API pages by "after this username"
        found = get("identity", "/api/v1/users", country=country, limit=PAGE_SIZE, after=after)
        after = found.get("next_after")
        if not after:
            break
    organisations = _organisations()

    def args(**changes: Any) -> str:
        return urlencode({**request.args.to_dict(), **{k: str(v) for k, v in changes.items()}})

    return page("users/index.html", users=found["users"], country=country,
                countries=sorted({o["country"] for o in organisations}),
                organisations={o["organisation_id"]: o["name"] for o in organisations},
                page_number=number, has_more=bool(found.get("next_after")), args=args,
                role_labels=ROLE_LABELS)  # fmt: skip


def new_user_form(organisations: list[dict[str, Any]]) -> list[FieldSpec]:
    places = tuple(Choice(o["organisation_id"], f"{o['name']} ({g.formats.country(o['country'])})")
                   for o in organisations)  # fmt: skip
    return [
        FieldSpec("username", _t("Username"), "text", True,
                  hint=_t("Lower-case letters, digits, dots, hyphens; e.g. mk.jsmith.")),
        FieldSpec("display_name", _t("Display name"), "text", True),
        FieldSpec("organisation_id", _t("Organisation"), "select", True, places),
        FieldSpec("password", _t("Initial password"), "password", True,
                  hint=_t("At least 12 characters; the user should change it.")),
        FieldSpec("role", _t("Role"), "select", False, _role_choices(grantable_roles(g.user)),
                  hint=_t("More roles can be granted afterwards.")),
    ]  # fmt: skip


@blp.route("/new", methods=["GET", "POST"])
@signed_in(*ADMINS)
def new() -> Response | str | tuple[str, int]:
    organisations = _organisations()
    specs = new_user_form(organisations)
    if request.method == "GET":
        return page("users/new.html", specs=specs, values={}, errors={})
    posted = {spec.name: request.form.get(spec.name, "").strip() for spec in specs}
    country = next((o["country"] for o in organisations
                    if o["organisation_id"] == posted["organisation_id"]), "")  # fmt: skip
    body: dict[str, Any] = {k: v for k, v in posted.items() if v and k != "role"}
    body["password"] = request.form.get("password", "")  # as typed: spaces count
    if not body["password"]:
        del body["password"]
    body["grants"] = first_grant(posted["role"], country)
    try:
        call("identity", "POST", "/api/v1/users", json=body)
    except ServiceError as error:
        if error.status not in (400, 403, 404, 409, 422):
            raise
        shown = {**posted, "password": ""}  # a password is never sent back into a page
        return page("users/new.html", specs=specs, values=shown,
                    errors=field_errors(error, FIELD_OF_ERROR)), 422  # fmt: skip
    return redirect(url_for("users.show", username=posted["username"], done="created"))


@blp.route("/<username>")
@signed_in(*ADMINS)
def show(username: str) -> str:
    user, tag = _user(username)
    return _show(user, tag)


def _show(user: dict[str, Any], tag: str, failed: str = "", errors: dict[str, str] | None = None,
          ) -> str:  # fmt: skip
    organisations = {o["organisation_id"]: o["name"] for o in _organisations()}
    grant_specs = [
        FieldSpec("role", _t("Role"), "select", True, _role_choices(grantable_roles(g.user))),
        FieldSpec("scope", _t("For"), "select", True, tuple(
            Choice(s, _t("regional") if s == REGIONAL else g.formats.country(s))
            for s in scopes_for(g.user, user["country"]))),
    ]  # fmt: skip
    reason = [FieldSpec("reason", _t("Reason"), "text", True)]
    return page("users/show.html", person=user, etag=tag, organisation=organisations.get(
        str(user["organisation_id"]), ""), may_change=may_administer(g.user, user),
        grant_specs=grant_specs, reason_specs=reason, failed=failed, errors=errors or {},
        role_labels=ROLE_LABELS)  # fmt: skip


def _user(username: str) -> tuple[dict[str, Any], str]:
    try:
        answer = call("identity", "GET", f"/api/v1/users/{quote(username, safe='')}")
    except ServiceError as error:
        if error.status == 404:
            raise NotFound() from error
        raise
    return answer.body, answer.headers.get("ETag", "")


def _command(username: str, form: str, method: str, path: str,
             body: dict[str, Any] | None = None) -> Response | tuple[str, int]:  # fmt: skip
    """Sends one change of a user, at the version the page showed (If-Match)."""
    tag = request.form.get("etag", "")
    try:
        call("identity", method, f"/api/v1/users/{quote(username, safe='')}{path}",
             json=body, headers={"If-Match": tag} if tag else None)  # fmt: skip
    except ServiceError as error:
        if error.status not in (400, 403, 404, 409, 412, 422):
            raise
        errors = field_errors(error)
        if error.status == 412:
            errors = {"form": _t("Someone changed this user meanwhile. Look again and retry.")}
        user, current = _user(username)
        return _show(user, current, form, errors), 422
    return redirect(url_for("users.show", username=username, done=form))


@blp.route("/<username>/grants", methods=["POST"])
@signed_in(*ADMINS)
def grant(username: str) -> Response | tuple[str, int]:
    body = {name: request.form.get(name, "") for name in ("role", "scope")}
    return _command(username, "grant", "POST", "/grants",
                    {k: v for k, v in body.items() if v})  # fmt: skip


@blp.route("/<username>/grants/revoke", methods=["POST"])
@signed_in(*ADMINS)
def revoke(username: str) -> Response | tuple[str, int]:
    role, scope = request.form.get("role", ""), request.form.get("scope", "")
    if not role or not scope:
        raise NotFound()
    return _command(username, "revoke", "DELETE",
                    f"/grants/{quote(role, safe='')}/{quote(scope, safe='')}")  # fmt: skip


@blp.route("/<username>/deactivate", methods=["POST"])
@signed_in(*ADMINS)
def deactivate(username: str) -> Response | tuple[str, int]:
    reason = request.form.get("reason", "").strip()
    return _command(username, "deactivate", "POST", "/deactivate",
                    {"reason": reason} if reason else {})  # fmt: skip


@blp.route("/<username>/reactivate", methods=["POST"])
@signed_in(*ADMINS)
def reactivate(username: str) -> Response | tuple[str, int]:
    return _command(username, "reactivate", "POST", "/reactivate")
