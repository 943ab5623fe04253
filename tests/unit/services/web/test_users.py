"""What the user pages offer an administrator, and where the identity service's errors go."""

from __future__ import annotations

from services.web.backend import ServiceError
from services.web.pages.users import (
    FIELD_OF_ERROR,
    field_errors,
    first_grant,
    grantable_roles,
    may_administer,
    scopes_for,
)
from shared.auth import Grant, Principal

NATIONAL_ADMIN = Principal("mk.admin", "org", (Grant("national_admin", "MK"),))
PLATFORM_ADMIN = Principal("platform.admin", "org", (Grant("platform_admin", "regional"),))


def _user(country: str, *grants: tuple[str, str]) -> dict:
    return {"username": "x", "country": country,
            "grants": [{"role": role, "scope": scope} for role, scope in grants]}  # fmt: skip


def test_a_national_administrator_changes_the_users_of_their_country_only() -> None:
    assert may_administer(NATIONAL_ADMIN, _user("MK", ("monitor", "MK")))
    assert not may_administer(NATIONAL_ADMIN, _user("AL", ("monitor", "AL")))


def test_a_user_with_a_regional_role_is_the_platform_administrators_to_change() -> None:
    auditor = _user("MK", ("auditor", "regional"))
    assert not may_administer(NATIONAL_ADMIN, auditor)
    assert may_administer(PLATFORM_ADMIN, auditor)


def test_only_a_platform_administrator_is_offered_regional_roles_and_scopes() -> None:
    assert "regional_analyst" not in grantable_roles(NATIONAL_ADMIN)
    assert "regional_analyst" in grantable_roles(PLATFORM_ADMIN)
    assert scopes_for(NATIONAL_ADMIN, "MK") == ["MK"]
    assert scopes_for(PLATFORM_ADMIN, "MK") == ["MK", "regional"]


def test_a_new_users_first_role_is_for_their_organisations_country() -> None:
    assert first_grant("monitor", "MK") == [{"role": "monitor", "scope": "MK"}]
    assert first_grant("regional_analyst", "MK") == [{"role": "regional_analyst",
                                                      "scope": "regional"}]  # fmt: skip
    assert first_grant("", "MK") == []


def test_a_problem_with_the_first_grant_is_shown_at_the_role_field() -> None:
    error = ServiceError(422, "refused", {"grants": {"0": {"scope": ["Must be MK."]}}})
    assert field_errors(error, FIELD_OF_ERROR) == {"role": "Must be MK."}


def test_a_refusal_naming_no_field_is_shown_for_the_whole_form() -> None:
    assert field_errors(ServiceError(403, "not yours")) == {"form": "not yours"}
