"""The four services' APIs as the web pages call them: with the signed-in person's token, so
every service still decides for itself what that person may see and do (the pages cannot
widen anyone's access), and with the request's correlation id and language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from shared.web import CORRELATION_HEADER


@dataclass
class ServiceError(Exception):
    """A service refused a call; `errors` maps field names to messages (problem+json)."""

    status: int
    detail: str
    errors: dict[str, Any] = field(default_factory=dict)
    service: str = ""

    def __str__(self) -> str:
        return f"{self.service} answered {self.status}: {self.detail}"

    def field_errors(self) -> dict[str, str]:
        """One message per field, the way a form shows it next to the field; nested
        messages (a list item, an event in a batch) are flattened to their field name."""
        return {str(name): _first_message(messages) for name, messages in _flat(self.errors)}


def _flat(errors: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for name, messages in errors.items():
        if isinstance(messages, Mapping):
            found += _flat(messages, name if str(name).isdigit() else f"{prefix}{name}")
        else:
            found.append((f"{prefix}{name}" if not prefix.isdigit() else name, messages))
    return found


def _first_message(messages: Any) -> str:
    if isinstance(messages, list | tuple):
        return " ".join(str(m) for m in messages)
    return str(messages)


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: Mapping[str, str]
    content: bytes = b""


class Backend:
    def __init__(self, urls: Mapping[str, str], timeout: float = 60.0) -> None:
        self.urls = dict(urls)
        self.timeout = timeout
        self.http = requests.Session()  # keeps connections to the services open

    def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        correlation_id: str | None = None,
        language: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Answer:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        if correlation_id:
            sent[CORRELATION_HEADER] = correlation_id
        if language:
            sent["Accept-Language"] = language
        try:
            response = self.http.request(method, self.urls[service] + path, headers=sent,
                                         timeout=timeout or self.timeout, **kwargs)  # fmt: skip
        except requests.RequestException as exc:
            unreachable = f"the {service} service cannot be reached"
            raise ServiceError(503, unreachable, {}, service) from exc
        if response.status_code >= 400:
            raise _error(service, response)
        kind = response.headers.get("Content-Type", "")
        body = response.json() if "json" in kind and response.content else None
        return Answer(response.status_code, body, response.headers, response.content)


def _error(service: str, response: requests.Response) -> ServiceError:
    try:
        problem = response.json()
    except ValueError:
        problem = {}
    if not isinstance(problem, dict):
        problem = {}
    return ServiceError(response.status_code, str(problem.get("detail") or response.reason),
                        problem.get("errors") or {}, service)  # fmt: skip
