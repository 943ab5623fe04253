"""Request and response bodies of the identity API (they are also its OpenAPI)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.identity.events import COUNTRIES, ORGANISATION_TYPES, SCOPES, USERNAME
from shared.auth import ROLES


class GrantSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(sorted(ROLES)))
    scope = fields.String(required=True, validate=validate.OneOf(SCOPES))


class OrganisationIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    country = fields.String(required=True, validate=validate.OneOf(COUNTRIES))
    type = fields.String(required=True, validate=validate.OneOf(ORGANISATION_TYPES))


class OrganisationOut(OrganisationIn):
    organisation_id = fields.UUID(required=True)


class OrganisationQuery(Schema):
    country = fields.String(validate=validate.OneOf(COUNTRIES))


class UserIn(Schema):
    username = fields.String(required=True, validate=USERNAME)
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    organisation_id = fields.UUID(required=True)
    password = fields.String(required=True, load_only=True)
    grants = fields.List(fields.Nested(GrantSchema), load_default=list)


class UserOut(Schema):
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    organisation_id = fields.UUID(required=True)
    country = fields.String(required=True)
    active = fields.Boolean(required=True)
    grants = fields.List(fields.Nested(GrantSchema), required=True)
    version = fields.Integer(metadata={"description": "Stream version; the ETag"})
    last_login_at = fields.DateTime(allow_none=True)


class UserQuery(Schema):
    country = fields.String(validate=validate.OneOf(COUNTRIES))
    organisation_id = fields.UUID()
    active = fields.Boolean()
    after = fields.String(metadata={"description": "Continue after this username"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class UserPage(Schema):
    users = fields.List(fields.Nested(UserOut), required=True)
    next_after = fields.String(allow_none=True)


class DeactivationIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class PasswordResetIn(Schema):
    password = fields.String(required=True, load_only=True)


class PasswordChangeIn(Schema):
    current_password = fields.String(required=True, load_only=True)
    new_password = fields.String(required=True, load_only=True)


class TokenRequest(Schema):
    """OAuth 2.0-style: `password` (username, password) or `refresh_token` (refresh_token)."""

    grant_type = fields.String(
        required=True, validate=validate.OneOf(("password", "refresh_token"))
    )
    username = fields.String(validate=validate.Length(max=200))
    password = fields.String(load_only=True, validate=validate.Length(max=1024))
    refresh_token = fields.String(load_only=True, validate=validate.Length(max=200))

    @validates_schema
    def needs_its_fields(self, data: dict[str, Any], **_: Any) -> None:
        wanted = ("username", "password") if data["grant_type"] == "password" else (
            "refresh_token",)  # fmt: skip
        missing = {name: ["Required for this grant_type."] for name in wanted if not data.get(name)}
        if missing:
            raise ValidationError(missing)


class TokenOut(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)
    refresh_token = fields.String(required=True)
    csrf_token = fields.String(required=True)


class SessionIn(Schema):
    username = fields.String(required=True, validate=validate.Length(max=200))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=1024))
    csrf_token = fields.String(load_only=True)


class SessionOut(Schema):
    user = fields.Nested(UserOut, required=True)
    csrf_token = fields.String(required=True)
    expires_in = fields.Integer(required=True)


class CsrfOut(Schema):
    csrf_token = fields.String(required=True)


class MeOut(Schema):
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    organisation_id = fields.String(required=True)
    grants = fields.List(fields.Nested(GrantSchema), required=True)
