"""Organisations, users and grants through the API: commands record events, lists come from the
read models the worker builds from Kafka, and a national admin acts in their own country only."""

from __future__ import annotations

from flask.testing import FlaskClient

from services.identity.bootstrap import Operator
from tests.integration.conftest import PASSWORD, People, bearer, eventually


def test_a_national_admin_registers_an_organisation_and_a_user_of_their_country(
    client: FlaskClient, people: People, operator: Operator
) -> None:
    admin = bearer(people.token("mk-admin", ("national_admin", "MK")))
    org = client.post("/api/v1/organisations", headers=admin,
                      json={"name": "Shelter Skopje", "country": "MK", "type": "cso"})  # fmt: skip
    assert org.status_code == 201, org.json
    organisation_id = org.json["organisation_id"]
    assert client.get(org.headers["Location"], headers=admin).json["name"] == "Shelter Skopje"
    user = client.post("/api/v1/users", headers=admin, json={
        "username": "mk.new-worker", "display_name": "New worker", "password": PASSWORD,
        "organisation_id": organisation_id, "grants": [{"role": "case_worker", "scope": "MK"}],
    })  # fmt: skip
    assert user.status_code == 201, user.json
    assert user.json["grants"] == [{"role": "case_worker", "scope": "MK"}]
    assert user.headers["ETag"] == '"2"' and "password" not in user.json
    recorded = [e.event_type for e in operator.store.read_stream("user-mk.new-worker")]
    assert recorded == ["identity.UserRegistered", "identity.RoleGranted"]
    assert all(
        "hash" not in str(e.payload) for e in operator.store.read_stream("user-mk.new-worker")
    )


def test_a_national_admin_cannot_act_in_another_country(
    client: FlaskClient, people: People
) -> None:
    admin = bearer(people.token("mk-admin", ("national_admin", "MK")))
    org = client.post("/api/v1/organisations", headers=admin,
                      json={"name": "Serbian NGO", "country": "RS", "type": "cso"})  # fmt: skip
    assert org.status_code == 403
    rs_user = people.user("case_worker", "RS")
    grant = client.post(f"/api/v1/users/{rs_user}/grants", headers=admin,
                        json={"role": "monitor", "scope": "RS"})  # fmt: skip
    assert grant.status_code == 403


def test_a_national_admin_cannot_hand_out_regional_or_platform_roles(
    client: FlaskClient, people: People
) -> None:
    admin = bearer(people.token("mk-admin", ("national_admin", "MK")))
    worker = people.user("case_worker", "MK")
    for role, scope in (("platform_admin", "regional"), ("regional_analyst", "regional")):
        answer = client.post(f"/api/v1/users/{worker}/grants", headers=admin,
                             json={"role": role, "scope": scope})  # fmt: skip
        assert answer.status_code == 403, (role, answer.json)


def test_a_role_is_granted_for_the_country_of_the_users_organisation(
    client: FlaskClient, people: People
) -> None:
    platform = bearer(people.token("root", ("platform_admin", "regional")))
    worker = people.user("case_worker", "MK")
    answer = client.post(f"/api/v1/users/{worker}/grants", headers=platform,
                         json={"role": "monitor", "scope": "AL"})  # fmt: skip
    assert answer.status_code == 422 and answer.json["errors"]["scope"] == ["Must be MK."]


def test_invalid_input_names_every_bad_field_and_records_nothing(
    client: FlaskClient, people: People, operator: Operator
) -> None:
    admin = bearer(people.token("root", ("platform_admin", "regional")))
    answer = client.post("/api/v1/users", headers=admin, json={
        "username": "Bad Name!", "display_name": "", "organisation_id": "not-a-uuid",
        "password": PASSWORD, "grants": [{"role": "wizard", "scope": "MK"}],
    })  # fmt: skip
    assert answer.status_code == 422
    assert {"username", "display_name", "organisation_id", "grants"} <= set(answer.json["errors"])
    organisation = people.organisation("MK")
    weak = client.post("/api/v1/users", headers=admin, json={
        "username": "weak.password", "display_name": "W", "password": "short",
        "organisation_id": str(organisation.organisation_id),
    })  # fmt: skip
    assert weak.status_code == 422 and "password" in weak.json["errors"]
    assert operator.user("weak.password") is None


def test_a_username_is_never_given_twice(client: FlaskClient, people: People) -> None:
    admin = bearer(people.token("root", ("platform_admin", "regional")))
    taken = people.user()
    organisation = people.organisation("MK")
    answer = client.post("/api/v1/users", headers=admin, json={
        "username": taken, "display_name": "Impostor", "password": PASSWORD,
        "organisation_id": str(organisation.organisation_id),
    })  # fmt: skip
    assert answer.status_code == 409 and "username" in answer.json["errors"]


def test_if_match_protects_a_user_against_lost_updates(client: FlaskClient, people: People) -> None:
    admin = bearer(people.token("root", ("platform_admin", "regional")))
    worker = people.user()
    stale = client.get(f"/api/v1/users/{worker}", headers=admin).headers["ETag"]
    first = client.post(f"/api/v1/users/{worker}/grants", json={"role": "monitor", "scope": "MK"},
                        headers={**admin, "If-Match": stale})  # fmt: skip
    assert first.status_code == 200 and first.headers["ETag"] != stale
    second = client.post(f"/api/v1/users/{worker}/deactivate", json={"reason": "left"},
                         headers={**admin, "If-Match": stale})  # fmt: skip
    assert second.status_code == 412


def test_lists_come_from_the_read_model_and_show_only_readable_countries(
    client: FlaskClient, people: People, identity_worker: None
) -> None:
    al_user, me_user = people.user("monitor", "AL"), people.user("monitor", "ME")
    al_admin = bearer(people.token("al-admin", ("national_admin", "AL")))

    def listed() -> list[str]:
        page = client.get("/api/v1/users?limit=1000", headers=al_admin).json
        return [u["username"] for u in page["users"]]

    eventually(lambda: al_user in listed())
    assert me_user not in listed()
    assert client.get("/api/v1/users?country=ME", headers=al_admin).status_code == 403
    row = next(u for u in client.get("/api/v1/users?limit=1000", headers=al_admin).json["users"]
               if u["username"] == al_user)  # fmt: skip
    assert row["grants"] == [{"role": "monitor", "scope": "AL"}] and row["active"] is True


def test_deactivation_shows_in_the_list_and_ends_sign_in(
    client: FlaskClient, people: People, identity_worker: None
) -> None:
    admin = bearer(people.token("root", ("platform_admin", "regional")))
    worker = people.user("case_worker", "BA")
    answer = client.post(f"/api/v1/users/{worker}/deactivate", headers=admin,
                         json={"reason": "left the shelter"})  # fmt: skip
    assert answer.status_code == 200 and answer.json["active"] is False

    def inactive() -> bool:
        users = client.get("/api/v1/users?country=BA&active=false&limit=1000", headers=admin)
        return worker in [u["username"] for u in users.json["users"]]

    eventually(inactive)
    body = {"grant_type": "password", "username": worker, "password": PASSWORD}
    signed = client.post("/api/v1/auth/token", json=body)
    assert signed.status_code == 401


def test_administrators_cannot_lock_themselves_out(client: FlaskClient, people: People) -> None:
    username = people.user("national_admin", "MK")
    own = bearer(people.token(username, ("national_admin", "MK")))
    assert client.post(f"/api/v1/users/{username}/deactivate", headers=own,
                       json={"reason": "oops"}).status_code == 409  # fmt: skip
    assert client.delete(f"/api/v1/users/{username}/grants/national_admin/MK",
                         headers=own).status_code == 409  # fmt: skip
