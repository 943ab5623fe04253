"""docker-compose.yml and the Dockerfile as the deployment tests read them: the compose file
with its `${VAR:-default}` references filled in the way `docker compose` fills them."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from shared.stack.processes import ROOT

COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}
REFERENCE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


class MissingVariable(KeyError):
    """A `${VAR:?message}` reference with VAR unset: `docker compose` refuses to start."""


def interpolate(value: str, env: Mapping[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"] or "", match["arg"] or ""
        present = env.get(name)
        if op.startswith(":") and present == "":
            present = None
        if present is not None:
            return present
        if op.endswith("?"):
            raise MissingVariable(f"{name}: {arg}")
        return arg if op.endswith("-") else ""

    return REFERENCE.sub(fill, value)


def references(path: Path = COMPOSE_FILE) -> list[re.Match[str]]:
    """Every `${...}` in the file's values (comments are not interpolated)."""
    return [match for text in _strings(yaml.safe_load(path.read_text()))
            for match in REFERENCE.finditer(text)]  # fmt: skip


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in (*_strings(key), *_strings(value))]
    return []


def load_compose(env: Mapping[str, str], path: Path = COMPOSE_FILE) -> dict[str, Any]:
    """The compose file, merge keys resolved (PyYAML does `<<`), variables filled from env."""
    return _fill(yaml.safe_load(path.read_text()), env)


def _fill(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [_fill(item, env) for item in node]
    if isinstance(node, dict):
        return {key: _fill(value, env) for key, value in node.items()}
    return node


def dockerfile_instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    rows = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in rows
        if line and not line.startswith("#")
    ]


def dockerfile_env(path: Path = DOCKERFILE) -> dict[str, str]:
    found: dict[str, str] = {}
    for instruction, args in dockerfile_instructions(path):
        if instruction == "ENV":
            found.update(part.split("=", 1) for part in shlex.split(args) if "=" in part)
    return found
