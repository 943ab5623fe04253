"""Refusing hostile or wrong uploads before any parser sees them: files over the size limit,
zip bombs, content that is not what the import expects. Each refusal is a
`ValidationProblem` naming `file`, with a message the person uploading can act on."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from services.intake.importing.batch import MB, Limits, refuse

ZIP_MAGIC = b"PK\x03\x04"
# Compound File Binary: Excel 97-2003 .xls, and also any password-protected .xlsx.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Small members compress well by nature (styles, empty sheets) and cannot hurt anyone.
RATIO_FLOOR = 1 * MB
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def check_size(data: bytes, limits: Limits) -> None:
    if not data:
        refuse("The file is empty.")
    if len(data) > limits.max_bytes:
        refuse(
            f"The file is {len(data) / MB:.1f} MB; at most {limits.max_bytes / MB:.0f} MB "
            "may be imported at once. Split it into smaller files."
        )


def looks_like_json(data: bytes) -> bool:
    start = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return start[:1] in (b"{", b"[")


def describe(data: bytes) -> str:
    """What the content seems to be, for a refusal that says why it was not read."""
    if data.startswith(OLE_MAGIC):
        return (
            "an Excel 97-2003 workbook (.xls) or a password-protected workbook (save it "
            "without a password as an Excel workbook, .xlsx)"
        )
    if data.startswith(ZIP_MAGIC):
        return "a zip archive"
    if data.startswith(b"%PDF"):
        return "a PDF document"
    if looks_like_json(data):
        return "JSON"
    if data[:64].lstrip().startswith(b"<"):
        return "XML or HTML"
    if b"\x00" not in data[:4096]:
        return "plain text such as CSV (open it in Excel and save it as .xlsx)"
    return "of a kind that cannot be imported"


def check_workbook_archive(data: bytes, limits: Limits) -> None:
    """Checks an xlsx's zip structure and declared sizes; nothing is inflated here."""
    check_size(data, limits)
    if not data.startswith(ZIP_MAGIC):
        refuse(f"The file is {describe(data)}, not an Excel workbook (.xlsx).")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        refuse("The file is a damaged zip archive, not a readable Excel workbook (.xlsx).")
    if len(members) > limits.max_members:
        refuse(f"The workbook has {len(members)} parts; an Excel workbook has a few dozen.")
    _check_kind(archive, {member.filename for member in members})
    _check_members(members, limits)


def _check_kind(archive: zipfile.ZipFile, names: set[str]) -> None:
    if "mimetype" in names and archive.read("mimetype")[:100].startswith(ODS_MIMETYPE):
        refuse("The file is an OpenDocument spreadsheet (.ods); save it as an Excel workbook.")
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        refuse("The file is a zip archive but not an Excel workbook (.xlsx).")


def _check_members(members: list[zipfile.ZipInfo], limits: Limits) -> None:
    if any(member.flag_bits & 0x1 for member in members):
        refuse("The workbook is encrypted; save it without a password.")
    # Summing every entry (not every name) also counts the overlapping entries of the zip
    # bombs that point many names at one compressed stream.
    unzipped = sum(member.file_size for member in members)
    if unzipped > limits.max_unzipped_bytes:
        refuse(
            f"The workbook unzips to {unzipped / MB:.0f} MB, more than the "
            f"{limits.max_unzipped_bytes / MB:.0f} MB allowed."
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_FLOOR and ratio > limits.max_ratio:
            refuse(
                f"The workbook part {member.filename!r} is compressed {ratio:.0f} times (at "
                f"most {limits.max_ratio} allowed): it looks like a zip bomb, not a spreadsheet."
            )


def load_json(data: bytes, limits: Limits) -> Any:
    check_size(data, limits)
    if not looks_like_json(data):
        refuse(f"The file is {describe(data)}, not a JSON list of submissions.")
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        refuse("The file is not UTF-8 text, as JSON must be.")
    except json.JSONDecodeError as error:
        refuse(
            f"The file is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."
        )
    except (RecursionError, ValueError):  # nesting too deep, integers too long to convert
        refuse("The file's JSON is nested too deeply or holds numbers too long to be answers.")
