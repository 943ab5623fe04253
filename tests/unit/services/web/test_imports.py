"""The import's round trip through the browser: the checked file carried back in the report
page when small, recognised by its digest when chosen again, and the report's errors a line
per row and field."""

from services.web import imports


def test_a_small_file_is_carried_back_and_read_unchanged() -> None:
    data = b"PK\x03\x04 a workbook"
    assert imports.uncarried(imports.carried(data) or "") == data


def test_a_file_too_large_to_carry_is_chosen_again() -> None:
    assert imports.carried(b"x" * (imports.CARRY_LIMIT + 1)) is None


def test_a_carried_field_that_is_not_base64_gives_no_file() -> None:
    assert imports.uncarried("not base64!") is None and imports.uncarried("") is None


def test_only_the_file_that_was_checked_is_recorded() -> None:
    checked = imports.digest(b"checked file")
    assert imports.same_file(b"checked file", checked)
    assert not imports.same_file(b"another file", checked)
    assert not imports.same_file(b"checked file", "")


def test_each_rows_errors_become_one_line_per_field_in_file_order() -> None:
    report = [
        {"row": 7, "source": "Sheet1!7", "errors": {"Gender (prs_Gender)": ["Not an option."]}},
        {"row": 4, "source": "Sheet1!4", "errors": {"Birthdate": ["Not a date.", "Required."],
                                                    "Status": "Unknown."}},
    ]  # fmt: skip
    lines = imports.row_errors(report)
    assert [(line.row, line.field) for line in lines] == [
        (4, "Birthdate"), (4, "Status"), (7, "Gender (prs_Gender)")]  # fmt: skip
    assert lines[0].message == "Not a date. Required." and lines[0].source == "Sheet1!4"
