"""Token verification in every service: EdDSA JWTs issued by the identity service, checked
locally against its JWKS, and a decorator that states the roles and country an endpoint needs.

Only EdDSA is accepted (so `alg=none` and algorithm confusion are refused), and issuer,
audience and expiry are required. The JWKS is cached and fetched again when a token names a key
id the cache does not know (a key rotation), at most once per cooldown.

A token comes as a bearer header (API clients) or in the HttpOnly session cookie (the web UI).
A cookie is sent by the browser on its own, so a state-changing request authenticated by it must
also carry the session's CSRF token (a claim of the signed token, echoed in a header or form
field), which a page of another site cannot know. A token issued before its subject was
deactivated, lost a role or changed password is refused: the identity events that say so reach
every service (see `shared.revocations`).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

import jwt
from flask import current_app, g, request

from shared.errors import Forbidden, Unauthenticated

ISSUER = "actnow-identity"
AUDIENCE = "actnow"
REGIONAL = "regional"
SESSION_COOKIE = "actnow_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
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
    csrf: str = ""  # the session's CSRF token, for forms rendered for this principal
    name: str = ""

    @property
    def countries(self) -> frozenset[str]:
        return frozenset(grant.scope for grant in self.grants if grant.scope != REGIONAL)

    def has_role(self, *roles: str) -> bool:
        return any(grant.role in roles for grant in self.grants)

    def may(self, roles: Iterable[str], country: str | None) -> bool:
        """A grant of one of the roles, for the country (or regionally, or for no country
        where the endpoint names none)."""
        wanted = set(roles)
        return any(
            grant.role in wanted and (country is None or grant.scope in (country.upper(), REGIONAL))
            for grant in self.grants
        )


KeyLookup = Callable[[str], Any]  # kid -> public key; raises jwt.PyJWTError when unknown
NotBefore = Callable[[str], datetime | None]  # subject -> tokens issued before are revoked


class TokenVerifier:
    def __init__(
        self,
        jwks_url: str | None = None,
        issuer: str = ISSUER,
        audience: str = AUDIENCE,
        refetch_cooldown: float = 10.0,
        *,
        keys: KeyLookup | None = None,
        not_before: NotBefore | None = None,
    ) -> None:
        """Keys come from the JWKS at `jwks_url` or, in the identity service itself, from
        `keys`; `not_before` tells when a subject's earlier tokens were revoked."""
        self.issuer, self.audience, self._not_before = issuer, audience, not_before
        self._verified: dict[str, dict[str, Any]] = {}
        if keys is not None:
            self._key_for = keys
        elif jwks_url:
            # fetched lazily, cached for 5 minutes, fetched again on an unknown kid but at most
            # once per cooldown (made-up kids must not make us hammer the identity service)
            client = jwt.PyJWKClient(jwks_url, cache_jwk_set=True, lifespan=300, timeout=5,
                                     cooldown_duration=refetch_cooldown)  # fmt: skip
            self._key_for = lambda kid: client.get_signing_key(kid).key
        else:
            raise ValueError("a TokenVerifier needs a JWKS URL or a key lookup")

    def verify(self, token: str) -> Principal:
        claims = self._verified.get(token)
        if claims is None or claims["exp"] <= time.time():
            claims = self._decode(token)
            if len(self._verified) > 10_000:
                self._verified.clear()
            # a token whose signature held once holds until it expires: a busy client's
            # next requests skip the signature check (revocation is still asked below)
            self._verified[token] = claims
        principal = principal_from(claims)
        if self._not_before is not None:
            cutoff = self._not_before(principal.user)
            if cutoff is not None and float(claims["iat"]) < cutoff.timestamp():
                raise Unauthenticated(
                    "the token was revoked (the account was deactivated, lost a role or changed"
                    " its password): sign in again"
                )
        return principal

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            if not isinstance(kid, str):
                raise jwt.InvalidTokenError("the token names no key (kid)")
            claims: dict[str, Any] = jwt.decode(
                token, key=self._key_for(kid), algorithms=["EdDSA"], issuer=self.issuer,
                audience=self.audience, options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )  # fmt: skip
        except jwt.PyJWKClientConnectionError as exc:
            raise Unauthenticated("the identity service's keys cannot be fetched") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"the token was refused: {exc}") from exc
        return claims


def principal_from(claims: dict[str, Any]) -> Principal:
    try:
        grants = tuple(Grant(str(g_["role"]), str(g_["scope"])) for g_ in claims.get("grants", []))
        return Principal(
            str(claims["sub"]), str(claims.get("org", "")), grants,
            csrf=str(claims.get("csrf", "")), name=str(claims.get("name", "")),
        )  # fmt: skip
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
            principal = authenticated()
            wanted = country(*args, **kwargs) if country else None
            if not principal.may(roles, wanted):
                where = f" for {wanted}" if wanted else ""
                raise Forbidden(f"this needs the role {' or '.join(roles)}{where}")
            g.principal = principal
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def authenticated() -> Principal:
    """The caller, from a bearer token or the session cookie (then with its CSRF token on any
    state-changing request); for endpoints that need a signed-in user but no particular role."""
    verifier: TokenVerifier | None = current_app.extensions.get("actnow.tokens")
    if verifier is None:
        raise Unauthenticated("this service has no token verifier configured")
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated(
                "the Authorization header must be 'Bearer <token>'",
                {"Authorization": ["Not a bearer token."]},
            )
        return verifier.verify(token.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise Unauthenticated(
            "a bearer token or a session is required", {"Authorization": ["Missing."]}
        )
    principal = verifier.verify(cookie)
    if request.method not in SAFE_METHODS:
        check_csrf(principal.csrf)
    return principal


def check_csrf(expected: str) -> None:
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD) or ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden(
            f"a request made with the session cookie needs the session's CSRF token in the"
            f" {CSRF_HEADER} header or the {CSRF_FIELD} form field",
            {CSRF_FIELD: ["Missing or wrong."]},
        )
