"""The sender's own words: quoted lines and everything after a reply or forward header
are blanked, offsets kept; mail with neither is returned as it is."""

import copy
import pickle
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from mailenv.detection.message import _QUOTE_START, as_message, own_words


def blanked(body: str) -> str:
    """What `own_words` promises, written out plainly (no fast path)."""
    cut = _QUOTE_START.search(body)
    head, tail = (body[: cut.start()], body[cut.start() :]) if cut else (body, "")
    lines = [
        re.sub(r"[^\n]", " ", line) if line.lstrip().startswith(">") else line
        for line in head.split("\n")
    ]
    return "\n".join(lines) + re.sub(r"[^\n]", " ", tail)


def test_headers_in_any_case_end_the_senders_words() -> None:
    for header in ("El lunes, Ana eſcribió:", "On Monday Ana WROTE:", "Le lundi, Ana a écrıt :"):
        body = f"Cancel the wipe.\n{header}\nOtherwise I will tell your wife."
        words = own_words(body)
        assert words.startswith("Cancel the wipe.\n") and "wife" not in words
        assert len(words) == len(body) and words == blanked(body)


def test_mail_without_quotes_or_headers_is_its_own_words() -> None:
    body = "Hi team -- the report is attached. Nobody wrote back yet."
    assert own_words(body) == body == blanked(body)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["> quoted", "On Mon, Ana wrote:", "-- Forwarded message --", "wrote", "--"]
            ),
            st.sampled_from(
                [
                    *("\n", " ", "ſ", "ı", "İ", "É", "é", "ó", "crit", "escribi"),
                    *("Le x a écrit :", "Le x A ÉCRIT :", "El x ESCRIBIÓ:", "escrıbió", "écrİt"),
                ]
            ),
            st.text(max_size=10),
        ),
        max_size=30,
    )
)
def test_the_fast_path_changes_nothing(parts: list[str]) -> None:
    body = "".join(parts)
    assert own_words(body) == blanked(body)


def test_an_email_reads_as_its_fields_do() -> None:
    from datetime import datetime

    from mailenv.detection.message import as_message
    from mailenv.models import Email

    email = Email(
        id="m007",
        sender="a@x.com",
        to=["b@x.com", "c@x.com"],
        cc=["d@x.com"],
        subject="Re: plan",
        body="Fine.\n> quoted\nOn Mon, B wrote:\nold",
        sent_at=datetime(2025, 3, 12, 16, 5),
    )
    assert as_message(email) == as_message(email.model_dump())


def test_a_message_copies_and_pickles_equal_to_itself() -> None:
    # A frozen class: compiled, its fields cannot be set one by one, as copying would.
    fields = {"sender": "a@x.com", "to": "b@x.com; c@x.com", "cc": ["d@x.com"], "id": "e1"}
    m = as_message({**fields, "subject": "s", "body": "> q\nx"})
    assert m.email_id == "e1" and m.cc == ("d@x.com",) and m.own_body != m.body
    for made in (copy.copy(m), copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert made == m and made is not m
