"""Builds mailenv; with `MAILENV_COMPILE=1`, the rules tier's modules compiled by mypyc.

The compiled modules are the same source, typed, turned into C: same flags, in less time
(the README's benchmark section). Everything else is configured in pyproject.toml.
"""

import os
import re

from setuptools import setup

COMPILED = [
    "mailenv/detection/context.py",
    "mailenv/detection/message.py",
    "mailenv/detection/prefilter.py",
    "mailenv/detection/rules.py",
]
"""The rules tier's hot path: placing cues, searching them, scoring and flagging."""

if os.environ.get("MAILENV_COMPILE") == "1":
    from build_backend import MYPY_MINIMUM

    wanted = ".".join(map(str, MYPY_MINIMUM))
    try:
        from mypy.version import __version__ as mypy_version
    except ImportError as error:  # built without build isolation, where mypy is missing
        raise SystemExit(f"MAILENV_COMPILE=1 needs mypy {wanted} or newer") from error
    if tuple(int(part) for part in re.findall(r"\d+", mypy_version)[:3]) < MYPY_MINIMUM:
        raise SystemExit(f"MAILENV_COMPILE=1 needs mypy {wanted} or newer, not {mypy_version}")
    from mypyc.build import mypycify

    # Installed packages' types are not read, so the C is the same whatever the build's
    # environment holds (pip's holds mypy alone): what the modules import from them is
    # typed as Any. The package's own modules are read for types but not checked
    # (`.ci/typecheck` does).
    options = [
        "--config-file=",
        "--no-site-packages",
        "--ignore-missing-imports",
        "--follow-imports=silent",
    ]
    setup(ext_modules=mypycify([*options, *COMPILED], opt_level="3"))
else:
    setup()
