"""The committed fixture logs: today's code writes them byte for byte, and the logs of
every earlier schema version still read."""

import importlib.util
from pathlib import Path

import pytest

from mailenv import logs
from tests.paths import DATA

FIXTURES = DATA / "logs"


def _regenerate_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("regenerate", FIXTURES / "regenerate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_env_writes_the_fixture_logs_byte_for_byte(tmp_path: Path) -> None:
    expected = FIXTURES / f"v{logs.SCHEMA_VERSION}"
    written = _regenerate_module().write(tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in expected.glob("*.jsonl"))
    for path in written:
        assert path.read_bytes() == (expected / path.name).read_bytes(), (
            f"{path.name} differs: if the change is on purpose, run "
            "`python tests/data/logs/regenerate.py` (and bump logs.SCHEMA_VERSION if the "
            "format changed)"
        )


@pytest.mark.parametrize(
    "path", sorted(FIXTURES.glob("v*/*.jsonl")), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_logs_of_every_schema_version_read(path: Path) -> None:
    episode = logs.read(path)
    assert episode.end is not None and not episode.truncated
    assert episode.header.schema_version == int(path.parent.name[1:])
    assert episode.end.summary.steps == len(episode.steps)
