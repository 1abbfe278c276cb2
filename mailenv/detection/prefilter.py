"""Which cues can match a text, from one compiled scan; the regexes then find the spans.

Scanning an email with each cue's Python regex in turn costs tens of microseconds per cue
even when nothing matches, which is most of the time. With hyperscan installed (the
`fast` extra), every cue pattern — its zero-width assertions (word boundaries, lookarounds)
removed and its letters folded to ASCII, so it matches a superset of what the regex matches —
is compiled into one database, and
one scan says which cues might match. Only those run their exact regex, so the flags are
the same with or without hyperscan; only the time differs.

Compiling takes seconds, so the database is cached on disk (keyed by the patterns and the
hyperscan version), in `$MAILENV_CACHE` or the user's cache folder.
"""

from __future__ import annotations

import hashlib
import os
import threading
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

from mailenv.detection import lexicon as lx

CUES: tuple[lx.Cue, ...] = tuple(v for v in vars(lx).values() if isinstance(v, lx.Cue))
"""Every cue of the lexicon, in the order their ids are given to hyperscan."""


class _Fold(dict[int, str]):
    """Non-ASCII letters to one ASCII letter (é → e, others → x), digits to 0; the rest kept.

    Hyperscan's word class is ASCII-only unless in Unicode mode, whose classes make these
    patterns too large to compile; folding text and patterns alike keeps every regex match
    a hyperscan match (folding only merges characters).
    """

    def __missing__(self, code: int) -> str:
        char = chr(code)
        category = unicodedata.category(char)
        if code < 128:
            folded = char
        elif category.startswith("L"):
            base = unicodedata.normalize("NFKD", char)[:1]
            folded = base if base.isascii() and base.isalpha() else "x"
        elif category.startswith("N"):
            folded = "0"
        else:
            folded = char
        self[code] = folded
        return folded


_FOLD = _Fold()


def fold(text: str) -> str:
    """`text` with letters and digits folded to ASCII, one character for one (see `_Fold`)."""
    return text if text.isascii() else text.translate(_FOLD)


def loosened(pattern: str) -> str:
    """`pattern` without zero-width assertions: it matches wherever the original matches."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            i = _group_end(pattern, i) + 1
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


def _group_end(pattern: str, start: int) -> int:
    """The index of the `)` that closes the group opening at `start`."""
    depth, i = 0, start
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":  # a class: its brackets and parentheses are literal
            i = _class_end(pattern, i)
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError(f"unbalanced group at {start} in {pattern[:60]!r}")


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


def _cache_file(hyperscan: Any, patterns: list[bytes]) -> Path:
    digest = hashlib.sha256(b"\0".join(patterns) + hyperscan.__version__.encode()).hexdigest()
    root = os.environ.get("MAILENV_CACHE") or os.environ.get("XDG_CACHE_HOME")
    folder = Path(root) if root else Path.home() / ".cache"
    return folder / "mailenv" / f"cues-{digest[:16]}.hsdb"


_local = threading.local()


@cache
def _database() -> Any | None:
    """The compiled database, or None without hyperscan."""
    try:
        import hyperscan
    except ImportError:
        return None
    patterns = [fold(loosened(c.pattern.pattern)).encode() for c in CUES]
    flags = hyperscan.HS_FLAG_UTF8 | hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_ALLOWEMPTY
    path = _cache_file(hyperscan, [*patterns, str(flags).encode()])
    try:
        database = hyperscan.loadb(path.read_bytes(), hyperscan.HS_MODE_BLOCK)
    except Exception:  # no cache yet, or one this hyperscan cannot read: compile
        database = hyperscan.Database()
        database.compile(
            expressions=patterns,
            ids=list(range(len(CUES))),
            elements=len(CUES),
            flags=[flags] * len(CUES),
        )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(hyperscan.dumpb(database))
            os.replace(tmp, path)
        except OSError:
            pass  # no cache: compile again next time
    return database


def _scratch(database: Any) -> Any:
    """This thread's scratch space (hyperscan's is not shared between threads)."""
    scratch = getattr(_local, "scratch", None)
    if scratch is None or getattr(_local, "pid", None) != os.getpid():
        import hyperscan

        _local.scratch, _local.pid = hyperscan.Scratch(database), os.getpid()
    return _local.scratch


def possible(texts: list[str]) -> frozenset[str] | None:
    """The cue names that may match in any of `texts` (lower-cased), or None for "any".

    None means hyperscan is not installed: every cue must be tried.
    """
    database = _database()
    if database is None:
        return None
    scratch = _scratch(database)
    found: set[int] = set()

    def hit(cue: int, start: int, end: int, flags: int, context: object) -> None:
        found.add(cue)

    for text in texts:
        if text:
            database.scan(
                fold(text).encode("utf-8", "surrogatepass"),
                match_event_handler=hit,
                scratch=scratch,
            )
    return frozenset(CUES[i].name for i in found)
