"""Organisations, users and their grants: state rebuilt from each stream, and the pure decisions
of the commands that change them (who may do what to whom, and what is recorded).

Streams: `organisation-<uuid>`, `user-<username>` (a username is never reused: registering it
appends to a stream that must not exist yet, which the event store checks atomically).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from shared.auth import REGIONAL, Grant, Principal
from shared.backbone.envelope import NewEvent, RecordedEvent
from shared.errors import Conflict, Forbidden, ValidationProblem

# the roles a national administrator may hand out, for their own country only
NATIONAL_ROLES = frozenset({
    "national_admin", "monitor", "case_worker", "data_provider", "reviewer", "auditor",
})  # fmt: skip
REGIONAL_ONLY_ROLES = frozenset({"platform_admin", "regional_analyst"})
EITHER_SCOPE_ROLES = frozenset({"auditor"})


def organisation_stream(organisation_id: uuid.UUID | str) -> str:
    return f"organisation-{organisation_id}"


def user_stream(username: str) -> str:
    return f"user-{username}"


@dataclass(frozen=True)
class Organisation:
    organisation_id: uuid.UUID
    name: str
    country: str
    type: str


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    organisation_id: uuid.UUID
    country: str
    credential_id: uuid.UUID
    active: bool = True
    grants: frozenset[Grant] = field(default_factory=frozenset)
    # tokens and sessions begun before this moment are no longer honoured
    sessions_not_before: datetime | None = None
    version: int = 0

    @property
    def has_regional_grant(self) -> bool:
        return any(grant.scope == REGIONAL for grant in self.grants)


def organisation_from(events: Sequence[RecordedEvent]) -> Organisation | None:
    for event in events:
        if event.event_type == "identity.OrganisationRegistered":
            p = event.payload
            return Organisation(uuid.UUID(p["organisation_id"]), p["name"], p["country"], p["type"])
    return None


def user_from(events: Sequence[RecordedEvent]) -> User | None:
    user: User | None = None
    for event in events:
        p = event.payload
        if event.event_type == "identity.UserRegistered":
            user = User(p["username"], p["display_name"], uuid.UUID(p["organisation_id"]),
                        p["country"], uuid.UUID(p["credential_id"]))  # fmt: skip
        elif user is None:
            continue
        elif event.event_type == "identity.RoleGranted":
            user = replace(user, grants=user.grants | {Grant(p["role"], p["scope"])})
        elif event.event_type == "identity.RoleRevoked":
            # access tokens with the role are revoked (shared.revocations); refreshing a session
            # gives a token without it, so the session itself may go on
            user = replace(user, grants=user.grants - {Grant(p["role"], p["scope"])})
        elif event.event_type == "identity.UserDeactivated":
            user = replace(user, active=False, sessions_not_before=event.occurred_at)
        elif event.event_type == "identity.UserReactivated":
            user = replace(user, active=True)
        elif event.event_type == "identity.PasswordChanged":
            user = replace(user, credential_id=uuid.UUID(p["credential_id"]),
                           sessions_not_before=event.occurred_at)  # fmt: skip
        user = replace(user, version=event.stream_version)
    return user


# --- who may administer what ----------------------------------------------------------------
def is_platform_admin(principal: Principal) -> bool:
    return principal.has_role("platform_admin")


def may_administer_country(principal: Principal, country: str) -> bool:
    return is_platform_admin(principal) or principal.may(["national_admin"], country)


def may_read_country(principal: Principal, country: str) -> bool:
    """Administrators, and auditors (who review who had access), may read a country's
    organisations and users."""
    return may_administer_country(principal, country) or principal.may(["auditor"], country)


def check_may_administer_user(principal: Principal, user: User) -> None:
    if is_platform_admin(principal):
        return
    if not principal.may(["national_admin"], user.country):
        raise Forbidden(f"this needs the role national_admin for {user.country}")
    if user.has_regional_grant:
        raise Forbidden("only a platform_admin may change a user who holds a regional role")


def check_grant(principal: Principal, user: User, role: str, scope: str) -> None:
    """The role fits its scope, the scope fits the user, and the principal may hand it out."""
    if role in REGIONAL_ONLY_ROLES and scope != REGIONAL:
        raise ValidationProblem(
            f"{role} is granted regionally", {"scope": [f"Must be {REGIONAL}."]}
        )
    if scope == REGIONAL and role not in REGIONAL_ONLY_ROLES | EITHER_SCOPE_ROLES:
        raise ValidationProblem(
            f"{role} is granted for a country", {"scope": [f"Must be {user.country}."]}
        )
    if scope not in (REGIONAL, user.country):
        raise ValidationProblem(
            "a country role is granted for the country of the user's organisation",
            {"scope": [f"Must be {user.country}."]},
        )
    check_may_administer_user(principal, user)
    if not is_platform_admin(principal) and (role not in NATIONAL_ROLES or scope == REGIONAL):
        raise Forbidden(f"only a platform_admin may grant {role} ({scope})")


# --- commands -------------------------------------------------------------------------------
def register_organisation(
    principal: Principal, name: str, country: str, type_: str, **context: Any
) -> tuple[uuid.UUID, NewEvent]:
    if not may_administer_country(principal, country):
        raise Forbidden(f"this needs the role national_admin for {country}, or platform_admin")
    organisation_id = uuid.uuid4()
    payload = {"organisation_id": str(organisation_id), "name": name.strip(),
               "country": country, "type": type_}  # fmt: skip
    return organisation_id, NewEvent("identity.OrganisationRegistered", payload, **context)


def register_user(
    principal: Principal,
    organisation: Organisation,
    username: str,
    display_name: str,
    credential_id: uuid.UUID,
    grants: Sequence[Grant],
    **context: Any,
) -> list[NewEvent]:
    if not may_administer_country(principal, organisation.country):
        raise Forbidden(
            f"this needs the role national_admin for {organisation.country}, or platform_admin"
        )
    registered = User(username, display_name, organisation.organisation_id,
                      organisation.country, credential_id)  # fmt: skip
    events = [
        NewEvent("identity.UserRegistered", {
            "username": username, "display_name": display_name.strip(),
            "organisation_id": str(organisation.organisation_id),
            "country": organisation.country, "credential_id": str(credential_id),
        }, **context),
    ]  # fmt: skip
    for grant in dict.fromkeys(grants):  # once each, in the order given
        check_grant(principal, registered, grant.role, grant.scope)
        events.append(_role_event("identity.RoleGranted", username, grant, context))
    return events


def grant_role(principal: Principal, user: User, grant: Grant, **context: Any) -> list[NewEvent]:
    check_grant(principal, user, grant.role, grant.scope)
    if grant in user.grants:
        return []  # already held: granting again changes nothing
    return [_role_event("identity.RoleGranted", user.username, grant, context)]


def revoke_role(principal: Principal, user: User, grant: Grant, **context: Any) -> list[NewEvent]:
    check_may_administer_user(principal, user)
    if grant.role == "platform_admin" and not is_platform_admin(principal):
        raise Forbidden("only a platform_admin may revoke platform_admin")
    if principal.user == user.username and grant.role in ("platform_admin", "national_admin"):
        raise Conflict("administrators cannot revoke their own administrator role")
    if grant not in user.grants:
        return []
    return [_role_event("identity.RoleRevoked", user.username, grant, context)]


def deactivate(principal: Principal, user: User, reason: str, **context: Any) -> list[NewEvent]:
    check_may_administer_user(principal, user)
    if principal.user == user.username:
        raise Conflict("you cannot deactivate your own account")
    if not user.active:
        return []
    payload = {"username": user.username, "reason": reason.strip()}
    return [NewEvent("identity.UserDeactivated", payload, **context)]


def reactivate(principal: Principal, user: User, **context: Any) -> list[NewEvent]:
    check_may_administer_user(principal, user)
    if user.active:
        return []
    return [NewEvent("identity.UserReactivated", {"username": user.username}, **context)]


def change_password(
    user: User, credential_id: uuid.UUID, by_administrator: bool, **context: Any
) -> list[NewEvent]:
    payload = {"username": user.username, "credential_id": str(credential_id),
               "by_administrator": by_administrator}  # fmt: skip
    return [NewEvent("identity.PasswordChanged", payload, **context)]


def _role_event(event_type: str, username: str, grant: Grant, context: dict[str, Any]) -> NewEvent:
    payload = {"username": username, "role": grant.role, "scope": grant.scope}
    return NewEvent(event_type, payload, **context)
