"""One error shape for every service: RFC 9457 problem details (application/problem+json).

Domain and infrastructure code raise `Problem` subclasses; the web shell turns them, and every
other HTTP error, into the same JSON body with field-level messages under `errors`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

PROBLEM_JSON = "application/problem+json"


@dataclass
class Problem(Exception):
    """An error a client can act on. `errors` maps a field path to its messages."""

    detail: str
    errors: dict[str, Any] = field(default_factory=dict)
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"
    type_slug: ClassVar[str] = "bad-request"

    def __str__(self) -> str:
        return self.detail

    def headers(self) -> dict[str, str]:
        return {}

    def to_dict(self, instance: str | None = None) -> dict[str, Any]:
        return problem_body(
            self.status, self.title, self.detail, self.type_slug, self.errors, instance
        )


class ValidationProblem(Problem):
    status = 422
    title = "Unprocessable content"
    type_slug = "validation"


class Unauthenticated(Problem):
    status = 401
    title = "Unauthenticated"
    type_slug = "unauthenticated"


class Forbidden(Problem):
    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class NotFound(Problem):
    status = 404
    title = "Not found"
    type_slug = "not-found"


class Conflict(Problem):
    status = 409
    title = "Conflict"
    type_slug = "conflict"


class PreconditionFailed(Problem):
    status = 412
    title = "Precondition failed"
    type_slug = "precondition-failed"


@dataclass
class TooManyRequests(Problem):
    retry_after: int = 60
    status: ClassVar[int] = 429
    title: ClassVar[str] = "Too many requests"
    type_slug: ClassVar[str] = "too-many-requests"

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


@dataclass
class ServiceUnavailable(Problem):
    """A dependency (the database) did not answer: the client may try again shortly."""

    retry_after: int = 5
    status: ClassVar[int] = 503
    title: ClassVar[str] = "Service unavailable"
    type_slug: ClassVar[str] = "unavailable"

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def problem_body(
    status: int,
    title: str,
    detail: str,
    type_slug: str,
    errors: dict[str, Any] | None = None,
    instance: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"https://actnow.example/problems/{type_slug}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    if instance:
        body["instance"] = instance
    return body
