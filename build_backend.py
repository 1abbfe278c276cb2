"""The setuptools build backend, which also asks for mypy when `MAILENV_COMPILE=1`.

Only a wheel is compiled: the source distribution and the metadata are built as without
the option (so mypyc does not run for them), and an editable install is refused, since
the compiled modules would be built beside their source and run instead of it: edits to
the source would silently do nothing.
"""

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from setuptools import build_meta
from setuptools.build_meta import *  # noqa: F403  (the backend's other hooks, unchanged)

_OPTION = "MAILENV_COMPILE"
MYPY_MINIMUM = (1, 18, 2)
"""The oldest mypy (which holds mypyc) known to compile the rules tier right: before it,
a compiled `prefilter` failed at run time (a bool annotated, an int made). setup.py checks
it, and the `dev` extra asks for it."""
_MYPYC = ["mypy>=" + ".".join(map(str, MYPY_MINIMUM))]


def _compiling() -> bool:
    return os.environ.get(_OPTION) == "1"


@contextmanager
def _source_only() -> Iterator[None]:
    """Run a setuptools hook as if the option were not set."""
    value = os.environ.pop(_OPTION, None)
    try:
        yield
    finally:
        if value is not None:
            os.environ[_OPTION] = value


def _refuse_editable() -> None:
    if _compiling():
        raise RuntimeError(
            f"{_OPTION}=1 builds compiled modules that would shadow their source in an "
            "editable install; use `pip install .` (not -e) for a compiled build"
        )


def get_requires_for_build_wheel(config_settings: dict[str, Any] | None = None) -> list[str]:
    """Mypy (which holds mypyc) when compiling; otherwise what setuptools asks for.

    Setuptools would run setup.py to ask, which needs mypyc when compiling: setup.py asks
    for nothing beyond `build-system.requires`, so it is not run for this.
    """
    if _compiling():
        return list(_MYPYC)
    needed: list[str] = build_meta.get_requires_for_build_wheel(config_settings)
    return needed


def prepare_metadata_for_build_wheel(
    metadata_directory: str, config_settings: dict[str, Any] | None = None
) -> str:
    """The wheel's metadata, which compiling does not change."""
    with _source_only():
        name: str = build_meta.prepare_metadata_for_build_wheel(metadata_directory, config_settings)
        return name


def get_requires_for_build_sdist(config_settings: dict[str, Any] | None = None) -> list[str]:
    """What setuptools asks for: a source distribution is the same with the option."""
    with _source_only():
        needed: list[str] = build_meta.get_requires_for_build_sdist(config_settings)
        return needed


def build_sdist(sdist_directory: str, config_settings: dict[str, Any] | None = None) -> str:
    """The source distribution, as without the option."""
    with _source_only():
        name: str = build_meta.build_sdist(sdist_directory, config_settings)
        return name


def _refusing(hook: Callable[..., Any]) -> Callable[..., Any]:
    """`hook`, refused when compiling (see the module's docstring)."""

    @functools.wraps(hook)
    def refusing(*args: Any, **kwargs: Any) -> Any:
        _refuse_editable()
        return hook(*args, **kwargs)

    return refusing


# Every editable hook refuses, since pip skips the requirements one without build isolation.
get_requires_for_build_editable = _refusing(build_meta.get_requires_for_build_editable)
prepare_metadata_for_build_editable = _refusing(build_meta.prepare_metadata_for_build_editable)
build_editable = _refusing(build_meta.build_editable)
