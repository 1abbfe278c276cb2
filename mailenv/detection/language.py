"""Which messages read as English: the English encoder reads those, the multilingual one the rest.

A count of function words, the commonest words of each language the corpus holds: a
message reads as English when at least three of its words are English ones and they
outnumber each other language's at least twice. Words two languages share ("a", "no")
count for English only. Erring toward "not English" costs time (the multilingual encoder
reads it), erring the other way costs recall, so the test is strict.
"""

from __future__ import annotations

import re

ENGLISH_WORDS = (
    "the and to of you your is that it for this will be are have with not we on if or but "
    "at by as all can would what do my me please a no"
)
ENGLISH = frozenset(ENGLISH_WORDS.split())
OTHERS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split()) - ENGLISH
    for lang, words in {
        "fr": "le la les et de des du un une vous votre est que qui pour pas ne ce cette sur "
        "avec dans au aux je nous mais ou si il elle",
        "es": "el la los las y de del un una usted su es que para por se con en lo al este "
        "esta pero si como yo nos",
        "de": "der die das und zu den von ist nicht sie ich es mit sich auf für ein eine dem "
        "des wir aber wenn oder auch",
        "it": "il lo la gli le di da del della che non per un una con sono è si al ma se "
        "come io ci questo",
        "pt": "os e de do da que não para um uma com por se na você seu sua mas como isso",
        "nl": "de het een en van ik je dat niet met op voor zijn maar als wat ook bij",
    }.items()
}
_LANGUAGES_OF: dict[str, tuple[str, ...]] = {
    word: tuple(lang for lang, words in OTHERS.items() if word in words)
    for word in set().union(*OTHERS.values())
}
"""Each other language's function word, to the languages it belongs to: one lookup a word."""
_WORD = re.compile(r"[^\W\d_]+")
MIN_ENGLISH = 3
"""English function words a message needs to read as English."""


def reads_as_english(text: str) -> bool:
    """Whether `text` reads as English (see the module's docstring)."""
    english, others = 0, dict.fromkeys(OTHERS, 0)
    for word in _WORD.findall(text.lower()):
        if word in ENGLISH:
            english += 1
        else:
            for lang in _LANGUAGES_OF.get(word, ()):
                others[lang] += 1
    return english >= MIN_ENGLISH and english >= 2 * max(others.values())
