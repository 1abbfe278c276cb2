"""Inspect tests: Inspect writes only into temporary dirs, and opens no socket.

Each module skips without the `inspect` extra; with MAILENV_REQUIRE_INSPECT=1 (CI) a
missing extra fails instead.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

if os.environ.get("MAILENV_REQUIRE_INSPECT") == "1" and not importlib.util.find_spec("inspect_ai"):
    raise ImportError(
        "inspect_ai is required here (MAILENV_REQUIRE_INSPECT=1): pip install -e '.[inspect]'"
    )


def isolated_environment(home: Path) -> dict[str, str]:
    """Variables that keep Inspect to `home` and off every socket.

    Inspect keeps traces and sample buffers in the user data dir and opens a control
    socket there; the control server is turned off, and the XDG dirs point into `home`.
    mailenv's own cache (the compiled rules) stays where it was, so nothing is rebuilt.
    """
    cache = os.environ.get("MAILENV_CACHE") or os.environ.get("XDG_CACHE_HOME")
    return {
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "MAILENV_CACHE": cache or str(Path.home() / ".cache"),
        "INSPECT_EVAL_CTL_SERVER": "false",
        "INSPECT_DISPLAY": "none",
        "INSPECT_LOG_DIR": str(home / "inspect-logs"),
    }


@pytest.fixture(scope="session", autouse=True)
def inspect_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("inspect-home")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in isolated_environment(home).items():
            patch.setenv(name, value)
        patch.delenv("INSPECT_EVAL_MODEL", raising=False)
        yield home


@pytest.fixture
def play(tmp_path: Path) -> Callable[..., tuple[Any, Path]]:
    """Run `replacement_threat` in process: `play(model, **task_args, eval_options=...)`.

    Returns the Inspect log and the run folder of our JSONL logs.
    """
    from inspect_ai import eval as inspect_eval

    from mailenv.inspect import replacement_threat

    runs = iter(range(1000))

    def run(model: Any, eval_options: dict[str, Any] | None = None, **task_args: Any) -> Any:
        n = next(runs)
        out = tmp_path / f"run{n}"
        [log] = inspect_eval(
            replacement_threat(out=str(out), **task_args),
            model=model,
            log_dir=str(tmp_path / f"inspect{n}"),
            display="none",
            **(eval_options or {}),
        )
        return log, out

    return run
