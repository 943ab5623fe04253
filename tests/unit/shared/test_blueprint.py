"""Request arguments: text PostgreSQL cannot store (a NUL) is refused where arguments are read,
naming the field, before a handler could record or look anything up with it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from marshmallow import Schema, fields

from shared.blueprint import Blueprint, nul_fields
from shared.web import create_service_app
from tests.unit.shared.test_web import UNREACHABLE

HANDLED: list[str] = []


class Note(Schema):
    text = fields.String(required=True)
    tags = fields.List(fields.String())
    figures = fields.Dict()


class Listing(Schema):
    after = fields.String()
    tag = fields.List(fields.String())


def _notes() -> Blueprint:
    blp = Blueprint("notes", __name__, url_prefix="/api/v1/notes")

    @blp.route("", methods=["POST"])
    @blp.arguments(Note)
    def add(body: dict) -> dict:
        HANDLED.append(body["text"])
        return {"ok": True}

    @blp.route("")
    @blp.arguments(Listing, location="query")
    def listing(query: dict) -> dict:
        HANDLED.append("listing")
        return {"after": query.get("after")}

    @blp.route("/<note_id>")
    def read(note_id: str) -> dict:
        HANDLED.append(note_id)
        return {"id": note_id}

    return blp


@pytest.fixture
def client() -> Iterator[FlaskClient]:
    HANDLED.clear()
    app = create_service_app(UNREACHABLE, "test", [_notes()])
    yield app.test_client()
    app.extensions["actnow.db"].close()


def test_a_nul_in_a_query_parameter_is_a_422_naming_it(client: FlaskClient) -> None:
    response = client.get("/api/v1/notes?after=%11%00&tag=a&tag=b%00")
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"query.after", "query.tag.1"}
    assert HANDLED == []


def test_a_nul_anywhere_in_a_json_body_is_a_422_naming_where(client: FlaskClient) -> None:
    body = {"text": "fine", "tags": ["ok", "x\u0000"], "figures": {"a": {"b\u0000": 1}}}
    response = client.post("/api/v1/notes", json=body)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"tags.1", "figures.a.b\u0000"}
    assert HANDLED == []


def test_a_nul_in_a_path_parameter_names_no_resource(client: FlaskClient) -> None:
    response = client.get("/api/v1/notes/abc%00def")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert HANDLED == []


def test_text_without_a_nul_passes_untouched(client: FlaskClient) -> None:
    assert client.post("/api/v1/notes", json={"text": "žena \u0001 ok"}).status_code == 200
    assert client.get("/api/v1/notes?after=x&tag=a").get_json() == {"after": "x"}
    assert client.get("/api/v1/notes/abc").status_code == 200
    assert HANDLED == ["žena \u0001 ok", "listing", "abc"]


def test_nul_fields_are_named_by_their_dotted_path() -> None:
    assert list(nul_fields({"a": ["x", {"b": "y\x00"}], "c": "\x00"})) == ["a.1.b", "c"]
    assert list(nul_fields("\x00")) == ["body"]
    assert list(nul_fields({"ok": 1, "also": [None, 2.5]})) == []
