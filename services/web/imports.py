"""The case-file import's round trip through the browser, since the pages keep no data: the
dry run checks the file the person chose; committing sends the same bytes again.

A small file travels back inside the report page (base64 in a hidden field), so "Record these
rows" needs no second choice of the file; a larger one would make the page heavy and exceed
the form size a server accepts for a field, so the person chooses it again. Either way the
report carries the file's SHA-256, and a file that is not the one checked is not recorded.
Sending the bytes through the browser widens nothing: the person holds the file anyway, and
the intake service checks every row again on the commit.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Werkzeug accepts a form field of at most 500 kB; base64 makes 4 bytes of 3
CARRY_LIMIT = 300_000


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def carried(data: bytes) -> str | None:
    """The file as a hidden field's value, or None when it is too large to carry."""
    return base64.b64encode(data).decode("ascii") if len(data) <= CARRY_LIMIT else None


def uncarried(value: str) -> bytes | None:
    """The bytes of a carried file; None when the field holds no valid base64."""
    try:
        return base64.b64decode(value.encode("ascii"), validate=True) or None
    except (binascii.Error, UnicodeEncodeError):
        return None


def same_file(data: bytes, checked_digest: str) -> bool:
    return bool(checked_digest) and digest(data) == checked_digest.lower()


@dataclass(frozen=True)
class RowError:
    row: int
    source: str  # where the row is: a sheet row or a submission id, as the service names it
    field: str
    message: str


def row_errors(rows_with_errors: Iterable[Mapping[str, Any]]) -> list[RowError]:
    """One line per row and field, in the order of the file."""
    found: list[RowError] = []
    for row in sorted(rows_with_errors, key=lambda r: int(r.get("row") or 0)):
        for name, messages in (row.get("errors") or {}).items():
            text = " ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
            found.append(RowError(int(row.get("row") or 0), str(row.get("source") or ""),
                                  str(name), text))  # fmt: skip
    return found
