"""What the code reads and exports, found in the source rather than listed by hand: the
environment variables the services and the operator command read, and the Prometheus metrics
they export. The deployment tests check docker-compose.yml, the Dockerfile, the alert rules and
the dashboard against these."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client.metrics import MetricWrapperBase

from shared import metrics as web_metrics
from shared.backbone import metrics as backbone_metrics
from shared.settings import SERVICE_NAMES
from shared.stack.processes import ROOT

ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
# what runs in a container: the services, what they share, the operator command, gunicorn's
# config. shared/stack is the local stack only (ports of developer machines), so not here.
CONTAINER_CODE = (ROOT / "services", ROOT / "shared", ROOT / "deploy" / "gunicorn.conf.py")
LOCAL_ONLY = ROOT / "shared" / "stack"


def python_files(roots: Iterable[Path] = CONTAINER_CODE) -> Iterator[Path]:
    for root in roots:
        paths = [root] if root.is_file() else sorted(root.rglob("*.py"))
        yield from (p for p in paths if not p.is_relative_to(LOCAL_ONLY))


def environment_names(source: str) -> set[str]:
    """Names read from an environment mapping: `env.get("X")`, `os.environ["X"]`, and helpers
    handed the mapping (`_required(env, "X")`); `f"{name.upper()}_URL"` stands for each
    service's name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Subscript) and _is_environment(node.value):
            found |= _names_in(node.slice)
        elif isinstance(node, ast.Call):
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "get"
                and _is_environment(func.value)
            ):
                found |= _names_in(node.args[0]) if node.args else set()
            elif any(_is_environment(arg) for arg in node.args):
                for arg in node.args:
                    found |= _names_in(arg)
    return found


def environment_names_read(roots: Iterable[Path] = CONTAINER_CODE) -> set[str]:
    return set().union(*(environment_names(path.read_text()) for path in python_files(roots)))


def _is_environment(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id in ("env", "environ")
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def _names_in(node: ast.expr) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value} if ENV_NAME.match(node.value) else set()
    if isinstance(node, ast.JoinedStr) and len(node.values) == 2:
        head, tail = node.values
        upper = (
            isinstance(head, ast.FormattedValue)
            and isinstance(head.value, ast.Call)
            and isinstance(head.value.func, ast.Attribute)
            and head.value.func.attr == "upper"
        )
        if upper and isinstance(tail, ast.Constant) and ENV_NAME.match(f"X{tail.value}"):
            return {f"{service.upper()}{tail.value}" for service in SERVICE_NAMES}
    return set()


def exported_metrics() -> dict[str, str]:
    """Every metric family the code defines, name -> type (counter, gauge, histogram)."""
    found: dict[str, str] = {}
    for module in (web_metrics, backbone_metrics):
        for value in vars(module).values():
            if isinstance(value, MetricWrapperBase):
                found[value._name] = value._type
    return found


def sample_names() -> set[str]:
    """The series names Prometheus stores for those families, plus its own `up`."""
    suffixes = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count")}
    names = {"up"}
    for name, kind in exported_metrics().items():
        names |= {name + suffix for suffix in suffixes[kind]}
    return names
