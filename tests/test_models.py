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
