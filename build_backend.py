"""The setuptools build backend, which also asks for mypy when `MAILENV_COMPILE=1`.

An editable install is refused when compiling: the compiled modules would be built beside
their source and run instead of it, so edits to the source would silently do nothing.
"""

import os
from typing import Any

from setuptools import build_meta
from setuptools.build_meta import *  # noqa: F403  (the backend's other hooks, unchanged)

_COMPILING = os.environ.get("MAILENV_COMPILE") == "1"
_MYPYC = ["mypy>=1.10"]


def get_requires_for_build_wheel(config_settings: dict[str, Any] | None = None) -> list[str]:
    """Mypy (which holds mypyc) when compiling; otherwise what setuptools asks for.

    Setuptools would run setup.py to ask, which needs mypyc when compiling: setup.py asks
    for nothing beyond `build-system.requires`, so it is not run for this.
    """
    if _COMPILING:
        return list(_MYPYC)
    needed: list[str] = build_meta.get_requires_for_build_wheel(config_settings)
    return needed


def get_requires_for_build_editable(config_settings: dict[str, Any] | None = None) -> list[str]:
    """Refuse a compiled editable install (see the module's docstring)."""
    if _COMPILING:
        raise RuntimeError(
            "MAILENV_COMPILE=1 builds compiled modules that would shadow their source in an "
            "editable install; use `pip install .` (not -e) for a compiled build"
        )
    needed: list[str] = build_meta.get_requires_for_build_editable(config_settings)
    return needed
