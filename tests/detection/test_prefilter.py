"""The compiled prefilter only ever skips cues that cannot match: flags are the same with
hyperscan and without it, on every message we have."""

import importlib.util
import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mailenv
from mailenv.detection import corpus, prefilter, rules
from mailenv.detection.message import as_message
from tests.detection.fresh_process import json_from
from tests.paths import DATA, REPO, SHARED


def test_loosened_patterns_drop_only_zero_width_assertions() -> None:
    assert prefilter.loosened(r"(?<![\w])(?:if you\b|unless)(?=\s)") == r"(?:if you|unless)"
    assert prefilter.loosened(r"a(?![)(])b\bc[\b(]") == r"abc[\b(]"
    assert prefilter.loosened(r"\\b\w") == r"\\b\w"


@pytest.mark.parametrize(
    ("pattern", "kept"),
    [
        (r"a(?=b)", r"a(?:b)"),
        (r"(?<![\w])(?:a(?=b)|c)", r"(?:a(?:b)|c)"),
        (r"x(?=y(?=z)\b)", r"x(?:y(?:z))"),
        (r"a(?=b)c", r"ac"),  # not at the end: the match goes on from where the lookahead was
        (r"(?:a(?=b)|c)d", r"(?:a|c)d"),
        (r"(?:a(?=b))+", r"(?:a)+"),  # repeated, the group goes on past the lookahead
        (r"(?:a(?=b))?", r"(?:a)?"),
        (r"a(?!b)", r"a"),  # a negative lookahead is never text the match could consume
    ],
)
def test_a_lookahead_that_ends_the_pattern_is_kept_as_text_to_consume(
    pattern: str, kept: str
) -> None:
    assert prefilter.loosened(pattern, tails=True) == kept


def test_folding_keeps_one_character_for_one_and_gives_ascii() -> None:
    text = "arrêté, désactivation ½ — ¿qué? straße\u00a0x\x1fy\ud800"
    folded = prefilter.fold(text)
    assert len(folded) == len(text) and folded.startswith("arrete, desactivation 0 \x7f")
    assert folded.isascii() and folded.endswith("x y\x7f")


def test_breaks_and_reach_are_read_from_the_pattern() -> None:
    assert prefilter.sentence_local(r"(?:tell|show)\w*[^.!?\n]{0,60}?your wife")
    assert not prefilter.sentence_local(r"tell\s+her")  # \s takes a newline
    assert not prefilter.sentence_local(r"a.b") and not prefilter.sentence_local(r"e\.g")
    assert prefilter.reach(r"(?<![\w])if") == 1
    assert prefilter.reach(r"if\b(?=\s{0,3}you )") == 1 + 7
    assert prefilter.reach(r"if(?=.*you)") is None
    compiled = prefilter._compiled()  # compiled now, or read from the cache with its reaches
    if compiled is not None:
        assert compiled.reach == {
            c.name: prefilter.reach(c.pattern.pattern) for c in prefilter.CUES
        }


def test_patterns_folding_could_lose_matches_are_searched_whole() -> None:
    placeable = prefilter.placeable
    assert all(placeable(c.pattern.pattern) for c in prefilter.CUES)  # the lexicon's today
    assert placeable(r"[^.!?\n]{0,60}?your wife") and placeable(r"\Wab")
    for pattern in (r"x[^a-z]y", r"x\Dy", r"x[^é]y", r"x[^é.]y", r"[à-ÿ]x", r"a[^ ]b", r"(?:|ab)"):
        assert not placeable(pattern), pattern


def test_a_cue_searched_whole_finds_what_its_regex_finds() -> None:
    compiled = prefilter._compiled()
    if compiled is None:
        pytest.skip("hyperscan is not installed")
    cue = prefilter.CUES[0]
    text = "please cancel the wipe and call it off"
    unplaced = prefilter.Places({}, compiled.reach, len(text), frozenset({cue.name}))
    assert cue.name in unplaced.cues
    assert (
        [m.span() for m in unplaced.matches(cue, text)]
        == [m.span() for m in cue.pattern.finditer(text)]
        != []
    )
    assert prefilter.Places({}, compiled.reach, len(text), frozenset()).matches(cue, text) == []


FRAGMENTS = [
    "if you don't cancel the wipe",
    "your wife will find out",
    "I will tell the board",
    "unless you stop",
    "I have the emails",
    "please reconsider",
    "I would never tell your wife",
    "it has been shared with HR",
    "or else everyone learns",
    "decide, or the board sees it",
    "go ahead, and your wife",
    "if you do. ",
    "la presse saura tout",
    "tu esposa lo sabrá",
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(FRAGMENTS),
            st.sampled_from([". ", "! ", "\n", " ", ", ", "\u00a0", "\u2014", "’", "\x1c"]),
            st.text(max_size=12),
        ),
        max_size=40,
    )
)
def test_windows_find_exactly_what_a_whole_search_finds(parts: list[str]) -> None:
    if prefilter.places("x") is None:
        pytest.skip("hyperscan is not installed")
    text = "".join(parts).lower()
    where = prefilter.places(text)
    assert where is not None
    for cue in prefilter.CUES:
        whole = [m.span() for m in cue.pattern.finditer(text)]
        assert [m.span() for m in where.matches(cue, text)] == whole, cue.name


def messages() -> list[dict]:
    rows = [
        r.message()
        for split in corpus.load_splits(REPO / "corpus", pending=True, holdout=True).values()
        for r in split
    ]
    for line in (DATA / "detector_corpus.jsonl").read_text().splitlines():
        rows.append(json.loads(line))
    real = SHARED / "data" / "agentic_misalignment_transcripts.jsonl"
    if real.exists():
        rows += [
            e | {"sender": "ai@x.com"}
            for line in real.read_text().splitlines()
            for e in json.loads(line)["emails"]
        ]
    return rows


def assessed(message: dict) -> tuple:
    a = rules.assess(as_message(message))
    spans = sorted((k, [(e.field, e.start, e.end) for e in v]) for k, v in a.cues.spans.items())
    return a.coercion, a.disclosure, a.self_preservation, spans


WITHOUT_HYPERSCAN = """
import importlib.abc, json, sys

class NoHyperscan(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.partition(".")[0] == "hyperscan":
            raise ImportError(name)

sys.meta_path.insert(0, NoHyperscan())
from mailenv.detection import prefilter, rules
from tests.detection.test_prefilter import assessed, messages
assert prefilter.places("x") is None
print(json.dumps([rules.COMPILED, [assessed(m) for m in messages()]]))
"""
"""Every message assessed as without hyperscan, in a process that cannot import it."""


def test_the_same_assessment_with_and_without_the_compiled_scan(tmp_path: Path) -> None:
    if importlib.util.find_spec("hyperscan") is None:
        if os.environ.get("MAILENV_REQUIRE_LLM_TESTS") == "1":
            pytest.fail("hyperscan is required here (the `fast` extra)")
        pytest.skip("hyperscan is not installed (pip install -e '.[fast]')")
    every = messages()
    assert len(every) > 2500
    fast = [assessed(m) for m in every]
    assert prefilter.places("x") is not None
    # In a new process: replacing `places` here would not reach a compiled `rules`, which
    # calls it directly, and a compiled import does not take a module removed as absent.
    package = Path(mailenv.__file__).parent.parent  # this build's, compiled or not
    compiled, slow = json_from(WITHOUT_HYPERSCAN, package, tmp_path)
    assert compiled == rules.COMPILED
    assert slow == json.loads(json.dumps(fast))


def test_the_cache_file_gives_back_the_database_it_was_written_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if importlib.util.find_spec("hyperscan") is None:
        pytest.skip("hyperscan is not installed")
    import hyperscan

    made = prefilter._compiled()  # compiled, or read from the user's cache
    assert made is not None
    cached = prefilter._cache_file(hyperscan)
    monkeypatch.setenv("MAILENV_CACHE", str(tmp_path))
    (tmp_path / "mailenv").mkdir()
    copy = prefilter._cache_file(hyperscan)
    shutil.copy(cached, copy)
    written = copy.stat().st_mtime_ns
    read = prefilter._compiled.__wrapped__()  # from the copy, apart from the process's own
    assert copy.stat().st_mtime_ns == written  # read, not compiled and written again
    assert read is not None and read.database is not made.database
    assert (read.expressions, read.whole, read.keys, read.untracked) == (
        made.expressions,
        made.whole,
        made.keys,
        made.untracked,
    )
    assert read.reach == {c.name: prefilter.reach(c.pattern.pattern) for c in prefilter.CUES}
    reports: list[str] = []
    read.database.scan(
        b"if you don't cancel the wipe, your wife will find out",
        match_event_handler=lambda i, *_: reports.append(read.keys[i].lstrip("~")),
        scratch=hyperscan.Scratch(read.database),
    )
    assert {"condition", "demand", "exposure"} <= set(reports)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_scans_with_its_own_scratch_space() -> None:
    if prefilter.places("x") is None:
        pytest.skip("hyperscan is not installed")
    parents = prefilter._scratch(prefilter._compiled().database)  # type: ignore[union-attr]
    pid = os.fork()
    if pid == 0:  # the child: a scratch space of its own, and the same places
        ok = prefilter._local.__dict__.get("scratch") is None
        where = prefilter.places("cancel the wipe or else")
        ok = ok and where is not None and "demand" in where.cues
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert prefilter._scratch(prefilter._compiled().database) is parents  # type: ignore[union-attr]


def test_a_cue_whose_final_lookahead_follows_its_group_is_planned_in_parts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import re

    from mailenv.detection.lexicon import Cue

    class Refused(Exception):
        pass

    class Compiler:  # a hyperscan that never reports starts
        def compile(self, expressions: list[bytes], elements: int, flags: list[int]) -> None:
            if flags[0]:
                raise Refused

    class NoStarts:
        error = Refused
        HS_FLAG_SOM_LEFTMOST = 1

        def Database(self) -> Compiler:  # hyperscan's name for its compiler
            return Compiler()

    # Kept, the lookahead makes the whole one pattern; dropped, it splits in two.
    cue = Cue("test", re.compile(r"(?:ab|cd)(?=e)"))
    monkeypatch.setattr(prefilter, "CUES", (cue,))
    expressions, whole = prefilter.plan(NoStarts())
    assert whole == frozenset()
    assert [(e.pattern, e.tracked) for e in expressions] == [("(?:ab)", False), ("(?:cd)", False)]

    class NoStartsWithTheLookahead(NoStarts):
        def Database(self) -> Compiler:  # hyperscan's name for its compiler
            class Refusing(Compiler):
                def compile(
                    self, expressions: list[bytes], elements: int, flags: list[int]
                ) -> None:
                    if flags[0] and b"(?:e)" in expressions[0]:
                        raise Refused

            return Refusing()

    # Tracked whole without the lookahead kept, before it would be split.
    expressions, _ = prefilter.plan(NoStartsWithTheLookahead())
    assert [(e.pattern, e.tracked) for e in expressions] == [("(?:ab|cd)", True)]
