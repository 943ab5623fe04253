"""The Blueprint every service's API is declared on: flask-smorest's, with an argument parser
that refuses text PostgreSQL cannot store.

PostgreSQL text (and jsonb) cannot hold U+0000. A NUL that reached a query was a 500 (found by
the generated requests of tests/integration/hostile/); one inside an accepted event would be
worse: stored (payloads are bytes), then refused by every read model that copies the text. So
it is refused where every request argument is read, with a 422 naming the field, before any
schema or handler sees it. Path parameters are not webargs arguments: `refuse_nul_in_path`
covers them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import flask_smorest
from flask import Request, request
from marshmallow import Schema, ValidationError
from webargs.flaskparser import FlaskParser

from shared.errors import NotFound

NUL = "\x00"
NUL_MESSAGE = "must not contain the NUL character (U+0000)"


def nul_fields(data: Any, path: str = "") -> Iterator[str]:
    """The dotted names of the strings (and keys) in `data` that contain a NUL."""
    if isinstance(data, str):
        if NUL in data:
            yield path or "body"
    elif isinstance(data, Mapping):
        for key, value in data.items():
            name = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and NUL in key:
                yield name
            yield from nul_fields(value, name)
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            yield from nul_fields(value, f"{path}.{index}" if path else str(index))


class ArgumentParser(FlaskParser):
    def pre_load(
        self, location_data: Mapping[str, Any], *, schema: Schema, req: Request, location: str
    ) -> Mapping[str, Any]:
        # query strings and forms are multi-dicts: every value of a repeated name is checked
        raw: Any = location_data
        if location in ("query", "querystring", "form"):
            sent = req.args if location != "form" else req.form
            raw = {name: values[0] if len(values) == 1 else values
                   for name, values in sent.lists()}  # fmt: skip
        found = sorted(set(nul_fields(raw)))
        if found:
            raise ValidationError({name: [NUL_MESSAGE] for name in found})
        return location_data


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = ArgumentParser()


def refuse_nul_in_path() -> None:
    """A `before_request` hook: no resource is named with a NUL, so such a path names none."""
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and NUL in value:
            raise NotFound(f"no resource has a {name} containing the NUL character")
