"""Where each cue can match in a text, from one compiled scan; the exact regexes run only there.

Scanning an email with each cue's Python regex costs tens of microseconds per cue, and
real mail matches several cues somewhere. With hyperscan installed (the `fast` extra),
every cue pattern — loosened (`loosened`: its zero-width assertions removed, or a final
lookahead kept as text to consume) and folded to ASCII, so wherever the regex matches it
does too — is compiled into one database, and one scan reports where each cue might
match. The exact regex then searches only small windows around those places
(`Places.matches`), so the spans, and so the flags, are the same with or without
hyperscan; only the time differs.

Why the windows are exact: every match of a regex is also a match of its loosened pattern,
or, where a lookahead ending the pattern is kept as consumed text (`loosened`), extends to
one that starts where it does and ends at or after it. So each match lies within a span
hyperscan reports: from the start reported (leftmost, `HS_FLAG_SOM_LEFTMOST`) or, for the
few patterns too large for start tracking, from just after the last sentence break before
the reported end (they are checked, when the database is built, to never match across one;
their end is the match's own), to that end. A window runs from the earliest such start to
`reach` characters past its last end — the farthest a lookahead or word boundary in the
pattern can look — and windows closer than that are merged, so searching each window with
`endpos` sees exactly what a search of the whole text sees.

Compiling takes seconds, so the database is cached on disk (keyed by the patterns and the
hyperscan version), in `$MAILENV_CACHE` or the user's cache folder.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
import sys
import threading
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

from mailenv.detection import lexicon as lx

CUES: tuple[lx.Cue, ...] = tuple(v for v in vars(lx).values() if isinstance(v, lx.Cue))
"""Every cue of the lexicon, in a fixed order (their index is their id)."""
BREAKS = ".!?\n"
"""Sentence breaks: a pattern compiled without start tracking must never match one."""
_SPACES = " \t\n\r\f\v"


class _Fold(dict[int, str]):
    """Every non-ASCII character to one ASCII character, so text and patterns are ASCII.

    Letters to their base letter (é → e) or x, digits to 0, spaces to a space, the rest to
    DEL. Folding only merges characters, and each merge keeps what Python's word, digit
    and space classes say of a character, so every regex match stays a hyperscan match; and since
    one character stays one character, hyperscan's offsets are offsets in the text.
    """

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if char.isspace() and char not in _SPACES:  # Python's \s, wider than hyperscan's
            folded = " "
        elif code < 128:
            folded = char
        elif char.isalpha():
            base = unicodedata.normalize("NFKD", char)[:1]
            folded = base if base.isascii() and base.isalpha() else "x"
        elif char.isalnum():
            folded = "0"
        else:
            folded = "\x7f"
        self[code] = folded
        return folded


_FOLD = _Fold()


_ASCII_FOLD = bytes(ord(_FOLD[code]) for code in range(128)) + bytes(range(128, 256))
"""`_FOLD` on ASCII, as a byte table: most mail is ASCII, and bytes translate fastest."""
_BREAK_MARKS = bytes(b"\n"[0] if chr(code) in BREAKS else code for code in range(256))
"""Every sentence break to a newline, so one search finds the last break of any kind."""


def fold(text: str) -> str:
    """`text` folded to ASCII, one character for one (see `_Fold`)."""
    return text.translate(_FOLD)


def _fold_unencodable(error: UnicodeError) -> tuple[str, int]:
    """The codec error handler `mailenv.fold`: non-ASCII characters folded by `_FOLD`."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return error.object[error.start : error.end].translate(_FOLD), error.end


codecs.register_error("mailenv.fold", _fold_unencodable)


def folded_bytes(text: str) -> bytes:
    """`fold(text)` as the bytes hyperscan scans.

    Encoded, with the few non-ASCII characters folded by an error handler: a translation
    looks up every character, which took ten times as long on mail with a dash or a quote.
    """
    return text.encode("ascii", "mailenv.fold").translate(_ASCII_FOLD)


def loosened(pattern: str, tails: bool = False) -> str:
    """`pattern` without zero-width assertions: it matches wherever the original matches.

    With `tails`, a lookahead that ends the pattern (only group ends, other alternatives
    and word boundaries follow it) is kept as text the match consumes: each match of the
    original then extends to a match that starts where it does and ends at or after its
    end, which is all a tracked expression needs, and is reported far less often (", or"
    before "your" or "the", not every "or").
    """
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            end = _group_end(pattern, i)
            if tails and pattern.startswith("(?=", i) and _ends_pattern(pattern, end + 1):
                out.append("(?:" + loosened(pattern[i + 3 : end], tails) + ")")
            i = end + 1
        elif pattern[i] == "[":  # a class is kept whole (`\\b` in it is a backspace)
            end = _class_end(pattern, i)
            out.append(pattern[i : end + 1])
            i = end + 1
        elif pattern[i] == "\\":
            if pattern[i + 1] not in "bB":
                out.append(pattern[i : i + 2])
            i += 2
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


def _ends_pattern(pattern: str, at: int) -> bool:
    """Whether nothing from `at` on consumes text (group ends, alternatives, boundaries)."""
    while at < len(pattern):
        if pattern[at] == "|":
            at = _alternation_end(pattern, at)
        elif pattern.startswith(("\\b", "\\B"), at):
            at += 2
        elif pattern[at] == ")" and not pattern.startswith(("?", "*", "+", "{"), at + 1):
            at += 1
        else:
            return False
    return True


def _alternation_end(pattern: str, bar: int) -> int:
    """The index of the `)` closing the group the `|` at `bar` is in, else the length."""
    depth = 0
    for i, ch in _structure(pattern, bar + 1):
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                return i
            depth -= 1
    return len(pattern)


def _group_end(pattern: str, start: int) -> int:
    """The index of the `)` that closes the group opening at `start`."""
    depth = 0
    for i, ch in _structure(pattern, start):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError(f"unbalanced group at {start} in {pattern[:60]!r}")


def _structure(pattern: str, start: int) -> Iterator[tuple[int, str]]:
    """Each `(`, `)` and `|` from `start` on, with its index: escapes and classes skipped.

    In a class, brackets, parentheses and bars are literal.
    """
    i = start
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = _class_end(pattern, i)
        elif ch in "()|":
            yield i, ch
        i += 1


def _class_end(pattern: str, start: int) -> int:
    """The index of the `]` that closes the character class opening at `start`."""
    i = start + 1
    if pattern.startswith("^", i):
        i += 1
    if pattern.startswith("]", i):
        i += 1  # a leading `]` is a member
    while pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i


def alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern written `(?:A|B|…)`, else the pattern alone."""
    if not (pattern.startswith("(?:") and _group_end(pattern, 0) == len(pattern) - 1):
        return [pattern]
    inner, out, depth, start = pattern[3:-1], [], 0, 0
    for i, ch in _structure(inner, 0):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0:  # a bar between two of the group's own alternatives
            out.append(f"(?:{inner[start:i]})")
            start = i + 1
    out.append(f"(?:{inner[start:]})")
    return out


def _in_class(items: list[tuple[Any, Any]], char: str) -> bool:
    member = False
    for op, av in items:
        if op is sre.LITERAL:
            member |= chr(av) == char
        elif op is sre.RANGE:
            member |= av[0] <= ord(char) <= av[1]
        elif op is sre.CATEGORY:
            member |= bool(re.fullmatch(_CATEGORIES[av], char))
        elif op is not sre.NEGATE:
            return True  # a class we do not model: assume the worst
    negated = any(op is sre.NEGATE for op, _ in items)
    return member != negated


_CATEGORIES = {
    sre.CATEGORY_DIGIT: r"\d",
    sre.CATEGORY_NOT_DIGIT: r"\D",
    sre.CATEGORY_SPACE: r"\s",
    sre.CATEGORY_NOT_SPACE: r"\S",
    sre.CATEGORY_WORD: r"\w",
    sre.CATEGORY_NOT_WORD: r"\W",
}


def _nodes(tree: Any, assertions: bool = True) -> Iterator[tuple[Any, Any]]:
    """Every node of a parsed pattern, nested ones included.

    Nodes inside lookarounds too, unless `assertions` is False (they consume nothing).
    """
    stack = [tree]
    while stack:
        for op, av in stack.pop():
            yield op, av
            if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
                stack.append(av[2])
            elif op is sre.SUBPATTERN:
                stack.append(av[3])
            elif op is sre.BRANCH:
                stack.extend(av[1])
            elif op in (sre.ASSERT, sre.ASSERT_NOT) and assertions:
                stack.append(av[1])


def sentence_local(pattern: str) -> bool:
    """Whether no match of `pattern` can hold a sentence break (`BREAKS`).

    Conservative: anything it cannot tell (`.`, back-references, unknown nodes) counts as
    a possible break.
    """
    # Nodes that hold others, or match no character themselves.
    harmless = (
        sre.MAX_REPEAT,
        sre.MIN_REPEAT,
        sre.POSSESSIVE_REPEAT,
        sre.SUBPATTERN,
        sre.BRANCH,
        sre.AT,
        sre.ASSERT,
        sre.ASSERT_NOT,
    )
    for op, av in _nodes(sre_parse.parse(pattern), assertions=False):
        if op is sre.LITERAL:
            if chr(av) in BREAKS:
                return False
        elif op is sre.IN:
            if any(_in_class(av, ch) for ch in BREAKS):
                return False
        elif op not in harmless:
            return False
    return True


def reach(pattern: str) -> int | None:
    """How far past a match's end `pattern` may look, or None when that is unbounded.

    Lookaheads and word boundaries read past the end; a window searched with `endpos` this
    far past its last possible end gives the same matches as a search of the whole text.
    """
    total = 1  # a boundary test at the end reads one character
    for op, av in _nodes(sre_parse.parse(pattern)):
        if op in (sre.ASSERT, sre.ASSERT_NOT) and av[0] > 0:  # a lookahead (not behind)
            width = av[1].getwidth()[1]
            if width >= sre.MAXREPEAT:
                return None
            total += width  # nested lookaheads are counted too: a bound, not the least
    return total


@dataclass(frozen=True, slots=True)
class Expression:
    """One pattern of the database: the cue it stands for, and how its starts are known."""

    cue: int
    pattern: str
    tracked: bool
    """Hyperscan reports its leftmost start; else it is sentence-local, and a match starts
    after the last break before its end."""


def _compiles(hyperscan: Any, pattern: str, flags: int) -> bool:
    try:
        hyperscan.Database().compile(expressions=[pattern.encode()], elements=1, flags=[flags])
    except hyperscan.error:
        return False
    return True


def placeable(pattern: str) -> bool:
    """Whether the compiled scan can place `pattern`'s matches (else Python searches whole).

    It cannot when the pattern may match empty text, or when folding could lose one of its
    matches: folding merges characters, which keeps every match of a positive class or
    literal but not of a negated one that could hold a fold's result (a letter, 0, a
    space, DEL), of the non-digit class (a non-decimal digit folds to 0), or of a range
    with a non-ASCII end.
    """
    tree = sre_parse.parse(pattern)
    if tree.getwidth()[0] == 0:
        return False
    targets = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0 \x7f"
    for op, av in _nodes(tree):
        if op is sre.NOT_LITERAL:
            return False
        if op is sre.CATEGORY and av is sre.CATEGORY_NOT_DIGIT:
            return False
        if op is sre.IN:
            negated = any(o is sre.NEGATE for o, _ in av)
            for o, a in av:
                if o is sre.RANGE and max(a) > 127:
                    return False
                if negated and o is sre.LITERAL and a > 127:
                    return False  # folded, [^é] would become [^e]
                if o is sre.CATEGORY and (negated or a is sre.CATEGORY_NOT_DIGIT):
                    return False
            if negated and not all(_in_class(av, ch) for ch in targets):
                return False  # the class excludes a character folding can produce
    return True


def plan(hyperscan: Any) -> tuple[list[Expression], frozenset[int]]:
    """The database's expressions, and the cues it cannot place (searched whole by Python).

    A cue is placed if `placeable`; its loosened pattern is tracked if hyperscan can report
    its starts (with its final lookaheads kept, else without), else each of its
    alternatives that can; the rest must be sentence-local, or the cue is searched whole.
    """
    tracked = hyperscan.HS_FLAG_SOM_LEFTMOST
    expressions, whole = [], set()
    for i, cue in enumerate(CUES):
        if not placeable(cue.pattern.pattern):
            whole.add(i)
            continue
        loose = fold(loosened(cue.pattern.pattern, tails=True))
        plain = fold(loosened(cue.pattern.pattern))
        whole_pattern = next((p for p in (loose, plain) if _compiles(hyperscan, p, tracked)), None)
        if whole_pattern is not None:
            expressions.append(Expression(i, whole_pattern, True))
            continue
        # An untracked part starts after the last break before its end: one that ends a
        # match, so without the lookaheads kept (their text may hold a break). The two
        # loosenings split alike unless a lookahead follows the whole pattern's group.
        plain_parts = alternatives(plain)
        loose_parts = alternatives(loose)
        if len(loose_parts) != len(plain_parts):
            loose_parts = plain_parts
        parts = []
        for part, plain_part in zip(loose_parts, plain_parts, strict=True):
            if _compiles(hyperscan, part, tracked):
                parts.append(Expression(i, part, True))
            elif sentence_local(plain_part):
                parts.append(Expression(i, plain_part, False))
            else:
                whole.add(i)
                break
        else:
            expressions += parts
    return expressions, frozenset(whole)


@dataclass(frozen=True, slots=True)
class Compiled:
    """The database, what each of its expressions stands for, and each cue's reach."""

    database: Any
    expressions: list[Expression]
    whole: frozenset[str]
    """The cues it cannot place, by name: searched whole, by Python alone."""
    reach: dict[str, int | None]
    """By cue name."""
    keys: tuple[str, ...]
    """What each expression's reports are kept under, by expression id: its cue's name,
    or for an expression whose starts are not reported, that name after `~`."""
    untracked: frozenset[str]
    """The keys of the expressions whose starts are not reported."""


def _cache_file(hyperscan: Any) -> Path:
    patterns = "\0".join(c.pattern.pattern for c in CUES)
    code = Path(__file__).read_bytes()  # how patterns are folded, loosened and planned
    # The Python version too: how far a pattern reaches is read by its regex parser.
    key = patterns.encode() + code + hyperscan.__version__.encode() + sys.version.encode()
    digest = hashlib.sha256(key).hexdigest()
    root = os.environ.get("MAILENV_CACHE") or os.environ.get("XDG_CACHE_HOME")
    folder = Path(root) if root else Path.home() / ".cache"
    return folder / "mailenv" / f"cues-{digest[:16]}.hsdb"


_local = threading.local()


@cache
def _compiled() -> Compiled | None:
    """The compiled database (from the cache when it can be read), or None without hyperscan."""
    try:
        import hyperscan
    except ImportError:
        return None
    path = _cache_file(hyperscan)
    try:
        header, _, blob = path.read_bytes().partition(b"\n")
        saved = json.loads(header)
        expressions = [Expression(*e) for e in saved["expressions"]]
        whole = frozenset(saved["whole"])
        reaches = saved["reach"]  # kept too: parsing every pattern again took tens of ms
        if len(reaches) != len(CUES):
            raise ValueError("a cache file written for other cues")
        database = hyperscan.loadb(blob, hyperscan.HS_MODE_BLOCK)
    except Exception:  # no cache yet, or one this hyperscan cannot read: compile
        reaches = [reach(c.pattern.pattern) for c in CUES]
        expressions, whole = plan(hyperscan)
        database = hyperscan.Database()
        som = hyperscan.HS_FLAG_SOM_LEFTMOST
        database.compile(
            expressions=[e.pattern.encode() for e in expressions],
            ids=list(range(len(expressions))),
            elements=len(expressions),
            flags=[som if e.tracked else 0 for e in expressions],
        )
        saved = {"expressions": [[e.cue, e.pattern, e.tracked] for e in expressions]}
        header = json.dumps({**saved, "whole": sorted(whole), "reach": reaches}).encode()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(header + b"\n" + hyperscan.dumpb(database))
            os.replace(tmp, path)
        except OSError:
            pass  # no cache: compile again next time
    keys = tuple(("" if e.tracked else "~") + CUES[e.cue].name for e in expressions)
    return Compiled(
        database,
        expressions,
        frozenset(CUES[i].name for i in whole),
        {c.name: r for c, r in zip(CUES, reaches, strict=True)},
        keys,
        frozenset(k for k in keys if k.startswith("~")),
    )


if hasattr(os, "register_at_fork"):  # a forked child makes its own scratch space
    os.register_at_fork(after_in_child=lambda: vars(_local).clear())


def _scratch(database: Any) -> Any:
    """This thread's scratch space (hyperscan's is not shared between threads)."""
    scratch = getattr(_local, "scratch", None)
    if scratch is None:
        import hyperscan

        scratch = _local.scratch = hyperscan.Scratch(database)
    return scratch


class Places:
    """Where in one text each cue may match: windows that hold every match of its regex.

    The scan's reports are kept by cue and merged into windows only for the cues a search
    asks about (most mail is searched for a few). Cues the scan cannot place (`whole`) are
    searched whole, by Python alone.
    """

    __slots__ = ("_length", "_reach", "_spans", "cues", "whole")

    def __init__(
        self,
        spans: dict[str, list[tuple[int, int]]],
        reach: dict[str, int | None],
        length: int,
        whole: frozenset[str],
    ) -> None:
        self._spans, self._reach, self._length, self.whole = spans, reach, length, whole
        self.cues: Collection[str] = spans.keys() | whole if whole else spans.keys()
        """The cues that may match: those reported, and those searched whole."""

    def windows(self, cue: str) -> list[tuple[int, int, int]]:
        """The windows of `cue`, merged: (start, last end reported in it, end).

        Each runs from a reported start to `reach` past the last end reported in it.
        """
        found = self._spans.get(cue)
        if not found:
            return []
        far = self._reach[cue]
        length = self._length
        if far is None:  # a lookahead of unbounded width: to the end of the text
            far = length
        if len(found) == 1:
            ((lo, last),) = found
            return [(lo, last, last + far if last + far < length else length)]
        found.sort()
        merged = []
        lo, last = found[0]
        for start, end in found[1:]:
            if start <= last + far:
                if end > last:
                    last = end
            else:
                merged.append((lo, last, last + far if last + far < length else length))
                lo, last = start, end
        merged.append((lo, last, last + far if last + far < length else length))
        return merged

    def matches(self, cue: lx.Cue, text: str) -> list[re.Match[str]]:
        """Exactly the matches of `cue.pattern.finditer(text)`, searching only the windows.

        Placed cues never match empty text (`placeable`), so each search starts where the
        last match ended, as `finditer`'s do. Every match ends at or before an end reported
        for it in its own window, so a window holds no more once a match reaches its last.
        """
        name = cue.name
        if name not in self._spans:
            return list(cue.pattern.finditer(text)) if name in self.whole else []
        found: list[re.Match[str]] = []
        pos, search = 0, cue.pattern.search
        for lo, last, hi in self.windows(name):
            at = lo if lo > pos else pos
            while (m := search(text, at, hi)) is not None:
                found.append(m)
                at = pos = m.end()
                if at >= last:
                    break
        return found


def places(text: str) -> Places | None:
    """Where each cue may match in `text` (lower-cased), or None without hyperscan.

    None means every cue must search the whole text.
    """
    compiled = _compiled()
    if compiled is None:
        return None
    spans: dict[str, list[tuple[int, int]]] = {}
    keys = compiled.keys

    def report(i: int, start: int, end: int, flags: int, context: Any) -> None:
        found = spans.get(keys[i])
        if found is None:
            spans[keys[i]] = [(start, end)]
        else:
            found.append((start, end))

    data = folded_bytes(text)
    if text:
        compiled.database.scan(
            data, match_event_handler=report, scratch=_scratch(compiled.database)
        )
    marked: bytes | None = None
    for key in compiled.untracked:
        reported = spans.pop(key, None)
        if reported is None:
            continue
        # Reported without a start: a match starts after the last break before its end.
        if marked is None:
            marked = data.translate(_BREAK_MARKS)
        found = spans.setdefault(key[1:], [])
        start = searched = 0
        for end in sorted(end for _, end in reported):  # each stretch searched once
            last = marked.rfind(b"\n", searched, end)
            if last >= 0:
                start = last + 1
            searched = end
            found.append((start, end))
    return Places(spans, compiled.reach, len(text), compiled.whole)
