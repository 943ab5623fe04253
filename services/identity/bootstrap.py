"""Operator commands on the identity service, run on the host with database access (`actnow
users ...`, the first platform admin, the demo's people). They go through the same decisions and
events as the API, with the operator acting as the platform."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from services.identity import directory
from services.identity.credentials import Credentials, check_strength
from services.identity.directory import Organisation, User
from shared.auth import REGIONAL, Grant, Principal
from shared.backbone.envelope import Actor
from shared.backbone.store import EventStore, ExpectedVersion
from shared.errors import Conflict, NotFound

OPERATOR = Principal("operator", "", (Grant("platform_admin", REGIONAL),))
# organisations made here get an id derived from country and name, so running a command (or the
# demo) twice finds the organisation instead of making a second one
NAMESPACE = uuid.UUID("3d0f6c52-7a41-4b8e-9a0d-5c2b7e1f4a60")


class Operator:
    def __init__(self, store: EventStore, credentials: Credentials) -> None:
        self.store, self.credentials = store, credentials
        self.context = {"actor": Actor(user="operator")}

    def organisation(self, name: str, country: str, type_: str) -> Organisation:
        organisation_id = uuid.uuid5(NAMESPACE, f"{country}:{name.strip().lower()}")
        existing = self.find_organisation(organisation_id)
        if existing is not None:
            return existing
        _, event = directory.register_organisation(OPERATOR, name, country, type_, **self.context)
        event.payload["organisation_id"] = str(organisation_id)
        self.store.append(
            directory.organisation_stream(organisation_id), ExpectedVersion.NO_STREAM, [event]
        )
        return Organisation(organisation_id, name.strip(), country, type_)

    def find_organisation(self, organisation_id: uuid.UUID) -> Organisation | None:
        events = self.store.read_stream(directory.organisation_stream(organisation_id))
        return directory.organisation_from(events)

    def user(self, username: str) -> User | None:
        return directory.user_from(self.store.read_stream(directory.user_stream(username)))

    def add_user(
        self,
        organisation: Organisation,
        username: str,
        display_name: str,
        password: str,
        grants: Sequence[Grant],
        exist_ok: bool = False,
    ) -> User:
        existing = self.user(username)
        if existing is not None:
            if exist_ok:
                return existing
            raise Conflict(f"the username {username!r} is taken", {"username": ["Taken."]})
        directory.register_user(OPERATOR, organisation, username, display_name, uuid.uuid4(),
                                grants)  # fmt: skip
        check_strength(password, username)
        credential_id = self.credentials.store(username, password)
        events = directory.register_user(OPERATOR, organisation, username, display_name,
                                         credential_id, grants, **self.context)  # fmt: skip
        self.store.append(directory.user_stream(username), ExpectedVersion.NO_STREAM, events)
        return self._user(username)

    def grant(self, username: str, grant: Grant) -> User:
        user = self._user(username)
        self._append(user, directory.grant_role(OPERATOR, user, grant, **self.context))
        return self._user(username)

    def revoke(self, username: str, grant: Grant) -> User:
        user = self._user(username)
        self._append(user, directory.revoke_role(OPERATOR, user, grant, **self.context))
        return self._user(username)

    def deactivate(self, username: str, reason: str) -> User:
        user = self._user(username)
        self._append(user, directory.deactivate(OPERATOR, user, reason, **self.context))
        return self._user(username)

    def reactivate(self, username: str) -> User:
        user = self._user(username)
        self._append(user, directory.reactivate(OPERATOR, user, **self.context))
        return self._user(username)

    def set_password(self, username: str, password: str) -> User:
        user = self._user(username)
        check_strength(password, username)
        credential_id = self.credentials.store(username, password)
        self._append(user, directory.change_password(user, credential_id, True, **self.context))
        return self._user(username)

    def _user(self, username: str) -> User:
        user = self.user(username)
        if user is None:
            raise NotFound(f"there is no user {username!r}", {"username": ["Unknown."]})
        return user

    def _append(self, user: User, events: Sequence[object]) -> None:
        if events:
            self.store.append(directory.user_stream(user.username), user.version, events)  # type: ignore[arg-type]
