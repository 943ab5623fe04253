"""Token verification in every service: EdDSA JWTs issued by the identity service, checked
locally against its JWKS, and a decorator that states the roles and country an endpoint needs.

Only EdDSA is accepted (so `alg=none` and algorithm confusion are refused), and issuer,
audience and expiry are required. The JWKS is cached and fetched again when a token names a key
id the cache does not know (a key rotation), at most once per cooldown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

import jwt
from flask import current_app, g, request

from shared.errors import Forbidden, Unauthenticated

ISSUER = "actnow-identity"
AUDIENCE = "actnow"
REGIONAL = "regional"
ROLES = frozenset({
    "national_admin", "monitor", "case_worker", "data_provider", "reviewer",
    "regional_analyst", "auditor", "platform_admin",
})  # fmt: skip


@dataclass(frozen=True)
class Grant:
    role: str
    scope: str  # an ISO 3166 alpha-2 country code (XK allowed) or "regional"


@dataclass(frozen=True)
class Principal:
    user: str
    organisation: str
    grants: tuple[Grant, ...]

    def may(self, roles: Iterable[str], country: str | None) -> bool:
        """A grant of one of the roles, for the country (or regionally, or for no country
        where the endpoint names none)."""
        wanted = set(roles)
        return any(
            grant.role in wanted and (country is None or grant.scope in (country.upper(), REGIONAL))
            for grant in self.grants
        )


class TokenVerifier:
    def __init__(
        self,
        jwks_url: str,
        issuer: str = ISSUER,
        audience: str = AUDIENCE,
        refetch_cooldown: float = 10.0,
    ) -> None:
        self.issuer, self.audience = issuer, audience
        # fetched lazily, cached for 5 minutes, fetched again on an unknown kid but at most once
        # per cooldown (tokens naming made-up kids must not make us hammer the identity service)
        self._keys = jwt.PyJWKClient(jwks_url, cache_jwk_set=True, lifespan=300, timeout=5,
                                     cooldown_duration=refetch_cooldown)  # fmt: skip

    def verify(self, token: str) -> Principal:
        try:
            key = self._keys.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token, key=key.key, algorithms=["EdDSA"], issuer=self.issuer,
                audience=self.audience, options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )  # fmt: skip
        except jwt.PyJWKClientConnectionError as exc:
            raise Unauthenticated("the identity service's keys cannot be fetched") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"the token was refused: {exc}") from exc
        return principal_from(claims)


def principal_from(claims: dict[str, Any]) -> Principal:
    try:
        grants = tuple(Grant(str(g_["role"]), str(g_["scope"])) for g_ in claims.get("grants", []))
        return Principal(str(claims["sub"]), str(claims.get("org", "")), grants)
    except (KeyError, TypeError) as exc:
        raise Unauthenticated("the token's grants are malformed") from exc


View = TypeVar("View", bound=Callable[..., Any])


def requires(
    *roles: str, country: Callable[..., str | None] | None = None
) -> Callable[[View], View]:
    """The endpoint needs a bearer token with one of the roles; with `country` (a function of
    the view's arguments), for that country. The principal is left in `flask.g.principal`.

        @requires("case_worker", country=lambda country, **_: country)
    """
    unknown = set(roles) - ROLES
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            principal = _principal()
            wanted = country(*args, **kwargs) if country else None
            if not principal.may(roles, wanted):
                where = f" for {wanted}" if wanted else ""
                raise Forbidden(f"this needs the role {' or '.join(roles)}{where}")
            g.principal = principal
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def _principal() -> Principal:
    verifier: TokenVerifier | None = current_app.extensions.get("actnow.tokens")
    if verifier is None:
        raise Unauthenticated("this service has no token verifier configured")
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("a bearer token is required", {"Authorization": ["Missing."]})
    return verifier.verify(token.strip())
