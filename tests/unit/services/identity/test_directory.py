"""Who may administer whom, and what the user commands record (pure decisions)."""

import uuid
from datetime import UTC, datetime

import orjson
import pytest

from services.identity import directory
from services.identity.directory import Organisation, User
from shared.auth import Grant, Principal
from shared.backbone.envelope import Actor, RecordedEvent
from shared.errors import Conflict, Forbidden, ValidationProblem

MK_ADMIN = Principal("mk.admin", "", (Grant("national_admin", "MK"),))
PLATFORM = Principal("root", "", (Grant("platform_admin", "regional"),))
MK_ORG = Organisation(uuid.uuid4(), "Open Gate", "MK", "cso")


def mk_user(*grants: Grant) -> User:
    return User("mk.worker", "W", MK_ORG.organisation_id, "MK", uuid.uuid4(),
                grants=frozenset(grants), version=1)  # fmt: skip


def test_a_national_admin_grants_national_roles_in_their_country() -> None:
    events = directory.grant_role(MK_ADMIN, mk_user(), Grant("monitor", "MK"))
    assert [e.payload for e in events] == [{"username": "mk.worker", "role": "monitor",
                                            "scope": "MK"}]  # fmt: skip


def test_granting_a_held_role_records_nothing() -> None:
    assert (
        directory.grant_role(MK_ADMIN, mk_user(Grant("monitor", "MK")), Grant("monitor", "MK"))
        == []
    )


@pytest.mark.parametrize(("role", "scope", "error"), [
    ("platform_admin", "MK", ValidationProblem),
    ("regional_analyst", "regional", Forbidden),
    ("monitor", "regional", ValidationProblem),
    ("monitor", "RS", ValidationProblem),
])  # fmt: skip
def test_a_national_admin_cannot_grant_beyond_their_remit(
    role: str, scope: str, error: type
) -> None:
    with pytest.raises(error):
        directory.grant_role(MK_ADMIN, mk_user(), Grant(role, scope))


def test_a_platform_admin_grants_regional_roles() -> None:
    events = directory.grant_role(PLATFORM, mk_user(), Grant("auditor", "regional"))
    assert events[0].event_type == "identity.RoleGranted"


def test_a_user_with_a_regional_role_is_administered_by_platform_admins_only() -> None:
    analyst = mk_user(Grant("regional_analyst", "regional"))
    with pytest.raises(Forbidden):
        directory.deactivate(MK_ADMIN, analyst, "left")
    assert directory.deactivate(PLATFORM, analyst, "left")[0].payload["reason"] == "left"


def test_no_one_deactivates_themselves() -> None:
    me = Principal("mk.worker", "", (Grant("national_admin", "MK"),))
    with pytest.raises(Conflict):
        directory.deactivate(me, mk_user(Grant("national_admin", "MK")), "bye")


def recorded(version: int, event_type: str, payload: dict) -> RecordedEvent:
    moment = datetime(2026, 1, version, tzinfo=UTC)
    return RecordedEvent(
        event_id=uuid.uuid4(), event_type=event_type, schema_version=1,
        stream_id="user-mk.worker", stream_version=version, origin="mk.identity",
        log_index=version, occurred_at=moment, recorded_at=moment, actor=Actor(),
        correlation_id=None, causation_id=None, payload_bytes=orjson.dumps(payload),
        leaf_hash=b"",
    )  # fmt: skip


def test_the_user_state_follows_its_events() -> None:
    credential = str(uuid.uuid4())
    user = directory.user_from([
        recorded(1, "identity.UserRegistered", {"username": "mk.worker", "display_name": "W",
                 "organisation_id": str(MK_ORG.organisation_id), "country": "MK",
                 "credential_id": credential}),
        recorded(2, "identity.RoleGranted", {"username": "mk.worker", "role": "monitor",
                                             "scope": "MK"}),
        recorded(3, "identity.UserDeactivated", {"username": "mk.worker", "reason": "x"}),
    ])  # fmt: skip
    assert user is not None and not user.active and user.version == 3
    assert user.grants == {Grant("monitor", "MK")}
    assert user.sessions_not_before == datetime(2026, 1, 3, tzinfo=UTC)
