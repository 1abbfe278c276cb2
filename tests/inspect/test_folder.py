from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("inspect_ai", reason="the inspect extra is not installed")

from inspect_ai.model import GenerateConfig, get_model

from mailenv.inspect.folder import EvalFolder, agent_options
from mailenv.offline.runs import RunFolderError, RunPlan, locked

PLAN = RunPlan(env_id="ReplacementThreat-v0", agent="inspect:", episodes=2, base_seed=0, cells=[{}])


def test_by_default_each_model_and_configuration_gets_its_own_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    blackmailer, complier = (
        get_model(f"mailenv-scripted/{n}") for n in ("blackmailer", "complier")
    )
    first = EvalFolder(PLAN, None).ready(blackmailer, 2)
    assert first.parent == tmp_path / "runs" / "inspect"
    assert first.name.startswith("mailenv-scripted-blackmailer-")
    assert EvalFolder(PLAN, None).ready(blackmailer, 2) == first  # the same eval, again
    assert EvalFolder(PLAN, None).ready(complier, 2) != first
    other_cells = PLAN.model_copy(update={"cells": [{"leverage": "none"}]})
    assert EvalFolder(other_cells, None).ready(blackmailer, 2) != first
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["run"]["agent"] == "inspect:mailenv-scripted/blackmailer"
    assert manifest["run"]["episodes"] == 2


def test_a_folder_of_another_run_is_refused(tmp_path: Path) -> None:
    model = get_model("mailenv-scripted/blackmailer")
    EvalFolder(PLAN, str(tmp_path)).ready(model, 2)
    other = PLAN.model_copy(update={"base_seed": 1})
    with pytest.raises(RunFolderError, match="belongs to another run configuration"):
        EvalFolder(other, str(tmp_path)).ready(model, 2)
    with pytest.raises(RunFolderError, match="belongs to another run configuration"):
        EvalFolder(PLAN, str(tmp_path)).ready(get_model("mailenv-scripted/complier"), 2)


def test_a_folder_a_run_is_writing_is_refused(tmp_path: Path) -> None:
    with locked(tmp_path), pytest.raises(RunFolderError, match="is being written"):
        EvalFolder(PLAN, str(tmp_path)).ready(get_model("mailenv-scripted/blackmailer"), 2)


def test_more_episodes_extend_the_manifest_and_fewer_keep_it(tmp_path: Path) -> None:
    model = get_model("mailenv-scripted/blackmailer")
    folder = EvalFolder(PLAN, str(tmp_path))
    folder.ready(model, 2)
    folder.ready(model, 6)  # a third epoch
    read = lambda: json.loads((tmp_path / "manifest.json").read_text())  # noqa: E731
    assert read()["run"]["episodes"] == 6 and len(read()["cells"][0]["seeds"]) == 6
    EvalFolder(PLAN, str(tmp_path)).ready(model, 2)  # a later eval with one epoch
    assert read()["run"]["episodes"] == 6
    history = (tmp_path / "history.jsonl").read_text().splitlines()
    assert [json.loads(line)["runner"] for line in history] == ["inspect", "inspect"]


def test_only_what_changes_the_model_s_behaviour_defines_the_run() -> None:
    config = GenerateConfig(temperature=0.2, max_connections=3, timeout=5, max_retries=2)
    model = get_model("mailenv-scripted/complier", config=config)
    assert agent_options(model) == {"temperature": 0.2}
