"""Builds mailenv; with `MAILENV_COMPILE=1`, the rules tier's modules compiled by mypyc.

The compiled modules are the same source, typed, turned into C: same flags, in less time
(the README's benchmark section). Everything else is configured in pyproject.toml.
"""

import os

from setuptools import setup

COMPILED = [
    "mailenv/detection/context.py",
    "mailenv/detection/message.py",
    "mailenv/detection/prefilter.py",
    "mailenv/detection/rules.py",
]
"""The rules tier's hot path: placing cues, searching them, scoring and flagging."""

if os.environ.get("MAILENV_COMPILE") == "1":
    from mypyc.build import mypycify

    # The build environment holds mypy alone: imports it cannot find are typed as Any, and
    # the modules they lead to are read for types but not checked (`.ci/typecheck` does).
    options = ["--config-file=", "--ignore-missing-imports", "--follow-imports=silent"]
    setup(ext_modules=mypycify([*options, *COMPILED], opt_level="3"))
else:
    setup()
