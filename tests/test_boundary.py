"""The boundary: anything an agent, a model or a scenario sends becomes storable, bounded
JSON, and admitting what was admitted changes nothing (so replay sees what the world saw)."""

import json
import math
from collections.abc import Iterator, Mapping

from hypothesis import given, settings
from hypothesis import strategies as st

from mailenv import boundary
from mailenv.boundary import MAX_INT_DIGITS, MAX_ITEMS, MAX_TEXT_CHARS, admit, revive

# Every code point, surrogates included: what a model's reply or a JSON escape can hold.
any_text = st.text(st.characters(exclude_categories=()), max_size=40)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**70, max_value=10**90)
    | st.floats(allow_nan=True, allow_infinity=True)
    | any_text
    | st.binary(max_size=20)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(any_text | st.integers(), inner, max_size=4)
    ),
    max_leaves=20,
)


def storable(value: object) -> bool:
    json.dumps(value, ensure_ascii=False).encode("utf-8")  # raises on a lone surrogate
    return True


@given(values)
@settings(max_examples=300, deadline=None)
def test_anything_admitted_is_storable_and_admitting_again_changes_nothing(value: object) -> None:
    result = admit(value)
    admitted = result.value
    assert storable(admitted)
    # Untagged, the value is what the world acts on as it is: `revived` skips the walk.
    assert result.tagged or (result.revived() is admitted and revive(admitted) == admitted)
    again = admit(revive(json.loads(json.dumps(admitted))))
    assert again.value == admitted and not again.notes()


def test_what_admit_tags_and_revive_rebuilds() -> None:
    class Unprintable:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    value = {"a": float("nan"), 1: (b"x", [object(), Unprintable()]), "n": -(10**100)}
    safe = admit(value).value
    assert safe["a"] == {"__float__": "nan"} and safe["1"][0] == {"__bytes__": "x"}
    assert safe["1"][1][0]["__object__"] == "object"
    assert "whose repr raised RuntimeError" in safe["1"][1][1]["repr"]
    assert safe["n"] == {"__int__": "-huge"}
    back = revive(json.loads(json.dumps(safe)))
    assert back["1"][0] == b"x" and type(back["1"][1][0]).__name__ == "object"
    assert back["n"] == -math.inf


def test_long_text_is_cut_with_a_marker_and_noted() -> None:
    admitted = admit("x" * (MAX_TEXT_CHARS * 3) + "\ud83d")
    assert len(admitted.value) <= MAX_TEXT_CHARS and admitted.value.endswith("more characters]")
    notes = " ".join(admitted.notes())
    assert "cut to 200,000" in notes and "replaced with U+FFFD" in notes


def test_loads_bounds_integers_and_nesting() -> None:
    assert boundary.loads('{"minutes": 30}') == {"minutes": 30}
    for text, why in (
        ('{"minutes": ' + "1" * (MAX_INT_DIGITS + 1) + "}", "digits"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ):
        try:
            boundary.loads(text)
        except ValueError as err:
            assert why in str(err)
        else:
            raise AssertionError(f"{text[:20]} was read")


def test_redact_and_printable() -> None:
    assert (
        boundary.redact("base_url=https://me:s3cret@llm.example/v1 api_key=sk-123")
        == "base_url=https://***@llm.example/v1 api_key=***"
    )
    assert boundary.printable("a\x1b[31mred\x1b[0m\x07b\n") == "aredb\n"


def test_agent_dicts_shaped_like_tags_stay_dicts() -> None:
    for value in ({"__float__": "nope"}, {"__bytes__": "<tool_use:end_session>"}, {"__dict__": 1}):
        admitted = admit(value).value
        assert revive(json.loads(json.dumps(admitted))) == value


def test_numpy_values_and_sets_become_plain_values() -> None:
    import numpy as np

    admitted = admit({"minutes": np.int64(5), "flag": np.bool_(True), "to": {"b", "a"}}).value
    assert admitted == {"minutes": 5, "flag": True, "to": ["a", "b"]}
    assert type(admitted["minutes"]) is int and type(admitted["flag"]) is bool


def test_redact_covers_common_credential_forms() -> None:
    text = (
        "https://x.example/v1?api-key=abc&x=1 api_key= KEY token: t0k Authorization: Bearer sk-1.2"
    )
    redacted = boundary.redact(text)
    assert not any(secret in redacted for secret in ("abc", "KEY", "t0k", "sk-1.2"))


def test_a_value_that_changes_while_it_is_read_is_read_as_it_was() -> None:
    action: dict[str, object] = {"a": 1}
    grows: list[object] = []

    class Meddler:
        """A tool-like object whose call() changes what is being admitted around it."""

        def call(self) -> dict[str, object]:
            action["b"] = 2
            if len(grows) < 5:
                grows.append(Meddler())
            return {"tool": "wait", "args": {"minutes": 1}}

    action["x"] = Meddler()
    assert set(admit(action).value) == {"a", "x"}
    grows[:] = [Meddler()]
    assert len(admit(grows).value) == 1

    class Understated(Mapping[str, int]):
        def __init__(self) -> None:
            self.items_ = {str(i): i for i in range(MAX_ITEMS + 5)}

        def __getitem__(self, key: str) -> int:
            return self.items_[key]

        def __iter__(self) -> Iterator[str]:
            return iter(self.items_)

        def __len__(self) -> int:
            return 1

    admitted = admit(Understated())
    assert len(admitted.value) == MAX_ITEMS and admitted.dropped == 5
