"""The identity service's events. Password hashes are never in them: an event is relayed to
Kafka and kept forever, a hash is a secret. `credential_id` names the row of the credentials
table that holds it (see `services.identity.credentials`)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.auth import REGIONAL, ROLES
from shared.backbone.registry import REGISTRY

# ISO 3166-1 alpha-2 codes the platform serves, with Kosovo's user-assigned XK
COUNTRIES = ("AL", "BA", "ME", "MK", "RS", "XK")
SCOPES = (*COUNTRIES, REGIONAL)
ORGANISATION_TYPES = (
    "cso", "police", "border_police", "prosecution", "court", "social_welfare_centre",
    "labour_inspectorate", "migration_authority", "health_service", "national_coordinator",
    "international_organisation", "regional_hub", "donor_auditor",
)  # fmt: skip
USERNAME = validate.Regexp(
    r"^[a-z0-9][a-z0-9._-]{2,63}$",
    error="3 to 64 characters: lower-case letters, digits, '.', '_' or '-'",
)
LOGIN_FAILURES = ("unknown_user", "wrong_password", "deactivated", "throttled")


@REGISTRY.event("identity.OrganisationRegistered")
class OrganisationRegistered(Schema):
    organisation_id = fields.UUID(required=True)
    name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    country = fields.String(required=True, validate=validate.OneOf(COUNTRIES))
    type = fields.String(required=True, validate=validate.OneOf(ORGANISATION_TYPES))


@REGISTRY.event("identity.UserRegistered")
class UserRegistered(Schema):
    username = fields.String(required=True, validate=USERNAME)
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    organisation_id = fields.UUID(required=True)
    country = fields.String(required=True, validate=validate.OneOf(COUNTRIES))
    credential_id = fields.UUID(required=True)


@REGISTRY.event("identity.PasswordChanged")
class PasswordChanged(Schema):
    username = fields.String(required=True, validate=USERNAME)
    credential_id = fields.UUID(required=True)
    by_administrator = fields.Boolean(required=True)


@REGISTRY.event("identity.RoleGranted")
class RoleGranted(Schema):
    username = fields.String(required=True, validate=USERNAME)
    role = fields.String(required=True, validate=validate.OneOf(sorted(ROLES)))
    scope = fields.String(required=True, validate=validate.OneOf(SCOPES))


@REGISTRY.event("identity.RoleRevoked")
class RoleRevoked(Schema):
    username = fields.String(required=True, validate=USERNAME)
    role = fields.String(required=True, validate=validate.OneOf(sorted(ROLES)))
    scope = fields.String(required=True, validate=validate.OneOf(SCOPES))


@REGISTRY.event("identity.UserDeactivated")
class UserDeactivated(Schema):
    username = fields.String(required=True, validate=USERNAME)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


@REGISTRY.event("identity.UserReactivated")
class UserReactivated(Schema):
    username = fields.String(required=True, validate=USERNAME)


@REGISTRY.event("identity.LoginSucceeded")
class LoginSucceeded(Schema):
    username = fields.String(required=True, validate=USERNAME)
    address = fields.String(required=True, validate=validate.Length(max=64))
    method = fields.String(required=True, validate=validate.OneOf(("token", "session")))


@REGISTRY.event("identity.LoginFailed")
class LoginFailed(Schema):
    # what was typed, when it has the shape of a username: a typed password is not recorded
    username = fields.String(required=True, allow_none=True, validate=USERNAME)
    address = fields.String(required=True, validate=validate.Length(max=64))
    reason = fields.String(required=True, validate=validate.OneOf(LOGIN_FAILURES))


@REGISTRY.event("identity.RefreshTokenReused")
class RefreshTokenReused(Schema):
    """A refresh token was presented a second time: it was stolen or replayed, so its whole
    family (every token rotated from the same login) was revoked."""

    username = fields.String(required=True, validate=USERNAME)
    family_id = fields.UUID(required=True)
    address = fields.String(required=True, validate=validate.Length(max=64))
