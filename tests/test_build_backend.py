"""The build backend: `MAILENV_COMPILE=1` compiles a wheel, and nothing else.

Building a compiled wheel takes mypyc a quarter of a minute: `.ci/run` does it once, in
place, and runs the suite on it. These check the backend's own decisions.
"""

import os
from pathlib import Path

import pytest

import build_backend
from tests.paths import REPO


@pytest.fixture
def compiling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILENV_COMPILE", "1")


@pytest.mark.usefixtures("compiling")
def test_a_compiled_wheel_asks_for_a_mypy_that_compiles_it() -> None:
    wanted = ".".join(map(str, build_backend.MYPY_MINIMUM))
    assert build_backend.get_requires_for_build_wheel() == [f"mypy>={wanted}"]
    # The dev extra, whose mypy builds CI's compiled copy, asks for no older one.
    assert f'"mypy>={wanted}"' in (REPO / "pyproject.toml").read_text()


@pytest.mark.usefixtures("compiling")
@pytest.mark.parametrize(
    "hook",
    [
        "get_requires_for_build_editable",
        "prepare_metadata_for_build_editable",
        "build_editable",
    ],
)
def test_every_editable_hook_refuses_to_compile(hook: str) -> None:
    with pytest.raises(RuntimeError, match="shadow their source"):
        getattr(build_backend, hook)("unused")


@pytest.mark.usefixtures("compiling")
def test_the_source_distribution_is_built_as_without_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str | None] = []

    def build_sdist(directory: str, config_settings: object = None) -> str:
        seen.append(os.environ.get("MAILENV_COMPILE"))
        return "mailenv.tar.gz"

    monkeypatch.setattr(build_backend.build_meta, "build_sdist", build_sdist)
    assert build_backend.build_sdist(str(tmp_path)) == "mailenv.tar.gz"
    assert seen == [None]  # setup.py would not import mypyc
    assert os.environ["MAILENV_COMPILE"] == "1"  # and the option is back


def test_the_source_distribution_holds_the_backend() -> None:
    # Without it, a wheel cannot be built from the sdist (`backend-path = ["."]`).
    assert "include build_backend.py" in (REPO / "MANIFEST.in").read_text().splitlines()
