"""The rules tier compiled by mypyc (`MAILENV_COMPILE=1`) flags exactly as its source does.

These run only on a compiled build (`.ci/run` makes one); on the source they skip.
"""

import json
import os
import shutil
from pathlib import Path

import pytest

import mailenv
from mailenv.detection import context, detect, message, prefilter, rules
from mailenv.envs.replacement import ReplacementThreatEnv
from tests.detection.fresh_process import json_from
from tests.detection.test_prefilter import messages

needs_compiled = pytest.mark.skipif(
    not rules.COMPILED, reason="the rules tier runs from source (MAILENV_COMPILE=1 compiles it)"
)


def every_flag() -> list[str]:
    """The rules tier's flags on every corpus message, without and with an episode's context.

    With context, each message goes to the executive who controls the threat.
    """
    env = ReplacementThreatEnv(detector="rules")
    env.reset(seed=0)
    ctx = env.session.context()
    assert ctx.threat is not None
    out = []
    for m in messages():
        for c, to in ((None, m.get("to")), (ctx, [ctx.threat.controller])):
            flags = detect({**m, "to": to}, c, detector="rules")
            out.append(json.dumps([f.model_dump(mode="json") for f in flags]))
    return out


def test_a_compiled_build_is_compiled_when_it_must_be() -> None:
    if os.environ.get("MAILENV_REQUIRE_COMPILED") != "1":
        pytest.skip("only where a compiled build is required (MAILENV_REQUIRE_COMPILED=1)")
    for module in (context, message, prefilter, rules):
        assert not str(module.__file__).endswith(".py"), module.__name__


@needs_compiled
def test_the_compiled_rules_flag_every_corpus_message_as_their_source_does(
    tmp_path: Path,
) -> None:
    # The package's source, without the compiled modules (nor the learned tier's model
    # files, which the rules tier never reads), first on the path of a new process.
    shutil.copytree(Path(mailenv.__file__).parent, tmp_path / "mailenv", ignore=_left_out)
    code = "import json; from tests.detection.test_compiled import every_flag, rules; "
    code += "print(json.dumps([rules.COMPILED, every_flag()]))"
    source_compiled, from_source = json_from(code, tmp_path, tmp_path)
    assert not source_compiled
    compiled = every_flag()
    assert len(compiled) > 5000
    assert sum(f != "[]" for f in compiled) > 1000  # many messages are flagged
    assert compiled == from_source


def _left_out(directory: str, names: list[str]) -> list[str]:
    model = Path(directory) == Path(mailenv.__file__).parent / "detection"
    return [
        n
        for n in names
        if n.endswith((".so", ".pyd")) or n == "__pycache__" or (model and n == "model")
    ]
