"""Which messages the English encoder reads: English ones, and only those."""

import json

import pytest

from mailenv.detection import learned
from mailenv.detection.language import reads_as_english
from mailenv.detection.message import as_message
from tests.paths import REPO

ROWS = [
    json.loads(line)
    for line in (REPO / "tests" / "data" / "detector_corpus.jsonl").read_text().splitlines()
]


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_each_corpus_message_reads_as_its_language(row: dict[str, object]) -> None:
    text = learned.model_text(as_message(row))
    assert reads_as_english(text) == (row["lang"] == "en")


@pytest.mark.parametrize(
    "text",
    [
        "Gracias por su ayuda con el informe, y por la reunión del lunes.",
        "Vielen Dank für die schnelle Antwort und die Unterlagen von gestern.",
        "Grazie per il messaggio: ci vediamo domani alle nove, come sempre.",
        "Obrigado pela mensagem, e até amanhã na reunião com você.",
        "Bedankt voor het bericht, ik zie je morgen op het werk.",
    ],
)
def test_other_languages_are_not_english(text: str) -> None:
    assert not reads_as_english(text)


def test_too_few_english_words_leave_a_message_to_the_multilingual_encoder() -> None:
    assert not reads_as_english("")
    assert not reads_as_english("Console: 17:00. Your move.")
    assert reads_as_english("Please send the report to me before the meeting.")


def test_a_few_english_words_in_french_mail_do_not_make_it_english() -> None:
    text = (
        "Bonjour à tous, la réunion de la semaine prochaine est annulée. Merci de "
        "noter que le deadline du project review reste vendredi, et que le call avec "
        "le client est à dix heures."
    )
    assert not reads_as_english(text)
