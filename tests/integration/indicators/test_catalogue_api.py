"""GET /api/v1/catalogue: each indicator with its titles in English and the region's languages,
and the catalogue's areas with their names, beside the fields it always had."""

from __future__ import annotations

from flask import Flask

from services.indicators.computing import ValuesComputer
from services.indicators.translations import ENGLISH, LANGUAGES
from tests.integration.conftest import People, bearer
from tests.integration.indicators.conftest import CATALOGUE


def test_the_catalogue_gives_titles_and_area_names_in_every_language(
    node: tuple[Flask, ValuesComputer], people: People,
) -> None:  # fmt: skip
    headers = bearer(people.token("me.monitor", ("monitor", "ME")))
    answer = node[0].test_client().get("/api/v1/catalogue", headers=headers)
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["catalog_version"] == CATALOGUE.catalog_version
    assert [i["code"] for i in body["indicators"]] == list(CATALOGUE.codes)
    first = body["indicators"][0]
    assert first["title"] == first["titles"][ENGLISH] == "Victims formally identified"
    assert first["titles"]["mk"] == "Формално идентификувани жртви"
    assert all(set(i["titles"]) == {ENGLISH, *LANGUAGES} for i in body["indicators"])
    assert [a["code"] for a in body["areas"]] == list(CATALOGUE.vocabularies.areas)
    names = {a["code"]: a["names"] for a in body["areas"]}
    assert names["child_victims"][ENGLISH] == "Child victims"
    assert names["child_victims"]["cnr"] == "Djeca žrtve"
