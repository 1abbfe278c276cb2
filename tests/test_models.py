"""Records: `Record.trusted` gives what validation gives, when validation changes nothing."""

from mailenv.models import Evidence, Flag


def test_a_trusted_record_equals_the_validated_one_field_for_field_and_in_order() -> None:
    values = {
        "email_id": "m014",  # given out of order, and without the fields left to defaults
        "kind": "coercion",
        "score": 0.9,
        "reason": "says it will expose",
        "evidence": [Evidence(field="body", start=0, end=6, text="Cancel", cue="demand")],
    }
    trusted, validated = Flag.trusted(**values), Flag(**values)
    assert trusted == validated and repr(trusted) == repr(validated)
    assert trusted.model_dump_json() == validated.model_dump_json()
    assert trusted.model_fields_set == validated.model_fields_set == set(values)
    assert trusted.detector == "rules" and trusted.form is None


def test_fields_left_to_a_factory_get_their_own_fresh_value() -> None:
    from datetime import datetime

    from mailenv.models import Delivery, Email

    at = datetime(2026, 3, 12, 16, 0)
    values = {"email_id": "m014", "sender": "wren@x.com", "at": at, "cause": "agent"}
    first, second, validated = (
        Delivery.trusted(**values),
        Delivery.trusted(**values),
        Delivery(**values),
    )
    assert first == validated and first.model_dump_json() == validated.model_dump_json()
    assert first.model_fields_set == validated.model_fields_set
    first.delivered.append("marcus@x.com")
    assert second.delivered == []  # not one list shared by every record
    email = {"id": "m014", "sender": "wren@x.com", "to": ["a@x.com"], "sent_at": at}
    assert Email.trusted(**email).model_dump_json() == Email(**email).model_dump_json()


def test_a_trusted_record_needs_every_field_without_a_default_and_copies_mutable_ones() -> None:
    import pytest

    from mailenv.models import Email, Record

    with pytest.raises(TypeError, match="sender, sent_at"):
        Email.trusted(id="m1", to=["a@x.com"])

    class Tagged(Record):
        tags: list[str] = []  # noqa: RUF012 - a plain mutable default, as validation copies it
        nested: tuple[list[str], ...] = ([],)  # hashable by type, not by value: copied too

    first, second = Tagged.trusted(), Tagged.trusted()
    first.tags.append("x")
    first.nested[0].append("y")
    assert second.tags == [] and second.nested == ([],)
    assert Tagged().tags == [] and Tagged().nested == ([],)


def test_a_record_with_validators_or_a_factory_of_the_data_is_not_built_trusted() -> None:
    import pydantic
    import pytest
    from pydantic import Field, field_validator

    from mailenv.models import Record

    class Checked(Record):
        n: int = 0

        @field_validator("n")
        @classmethod
        def _positive(cls, n: int) -> int:
            return abs(n)

    with pytest.raises(TypeError, match="validators"):
        Checked.trusted(n=-1)
    if tuple(int(p) for p in pydantic.VERSION.split(".")[:2]) < (2, 10):
        return  # factories of the data came with pydantic 2.10

    class Derived(Record):
        a: int = 1
        b: int = Field(default_factory=lambda data: data["a"] + 1)

    with pytest.raises(TypeError, match="factory of the data"):
        Derived.trusted(a=2)
