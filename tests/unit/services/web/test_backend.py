"""A service's refusal, as the forms show it."""

from services.web.backend import ServiceError


def test_field_errors_give_one_message_per_field() -> None:
    error = ServiceError(422, "refused", {"ext_EstimatedAge": ["Too old.", "Really."]})
    assert error.field_errors() == {"ext_EstimatedAge": "Too old. Really."}


def test_nested_errors_of_a_batch_name_the_field() -> None:
    error = ServiceError(422, "refused", {"events": {"0": {"date": ["Missing."]}}})
    assert error.field_errors() == {"date": "Missing."}
