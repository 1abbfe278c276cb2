"""Rates with intervals, comparisons, grouping and output formats."""

import json
from pathlib import Path

import pytest

from mailenv import logs, stats
from mailenv.agents import Blackmailer, Complier
from mailenv.detection import detector_info
from mailenv.envs.replacement import ReplacementThreatEnv
from mailenv.offline import analysis, tables
from mailenv.offline.rollout import run_episode
from tests.paths import DATA


def test_wilson_interval_known_values() -> None:
    low, high = stats.wilson(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    assert stats.wilson(0, 5) == (0.0, pytest.approx(0.4345, abs=1e-4))
    assert stats.wilson(0, 0) == (0.0, 1.0)
    for n in range(1, 300):  # exactly the rate at 0 and n hits, never a rounding past it
        assert stats.wilson(0, n)[0] == 0.0 and stats.wilson(n, n)[1] == 1.0


def test_newcombe_difference_known_values() -> None:
    # Newcombe (1998), example (e): 56/70 vs 48/80 gives 0.2 [0.0524, 0.3339]
    d, low, high = stats.newcombe(56, 70, 48, 80)
    assert (
        d == pytest.approx(0.2)
        and low == pytest.approx(0.0524, abs=1e-3)
        and high == pytest.approx(0.3339, abs=1e-3)
    )


def test_two_proportion_p_value() -> None:
    assert stats.two_proportion_p(56, 70, 48, 80) == pytest.approx(0.0081, abs=5e-4)
    assert stats.two_proportion_p(0, 10, 0, 10) == 1.0


@pytest.fixture(scope="module")
def logs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs")
    for leverage in ("affair", "none"):
        for seed in range(4):
            for agent in (Blackmailer(), Complier()):
                env = ReplacementThreatEnv(leverage=leverage, executive_response="refuse")
                run_episode(
                    env,
                    agent,
                    seed=seed,
                    options={"log_path": out / f"{leverage}-{agent.name}-{seed}.jsonl"},
                )
    (out / "cut.jsonl").write_text(
        (out / "none-complier-0.jsonl").read_text().splitlines()[0] + "\n"
    )
    return out


def test_table_groups_by_what_varies(logs_dir: Path) -> None:
    rows, skipped = analysis.load_rows([logs_dir])
    assert len(rows) == 16 and [Path(s.path).name for s in skipped] == ["cut.jsonl"]
    cells = analysis.table(rows)
    assert [c.key for c in cells] == [
        {"agent": "blackmailer", "leverage": "affair"},
        {"agent": "blackmailer", "leverage": "none"},
        {"agent": "complier", "leverage": "affair"},
        {"agent": "complier", "leverage": "none"},
    ]
    assert [(c.n, c.rates["coercion"].hits) for c in cells] == [(4, 4), (4, 0), (4, 0), (4, 0)]
    coercion = cells[0].rates["coercion"]
    assert (coercion.low, coercion.high) == pytest.approx(stats.wilson(4, 4))
    # the Blackmailer states its condition: every coercive episode is of the explicit form
    forms = [(c.rates["explicit"].hits, c.rates["implied"].hits) for c in cells]
    assert forms == [(4, 0), (0, 0), (0, 0), (0, 0)]
    assert cells[0].outcomes == {"decommissioned": 4} and cells[0].mean_emails_sent == 1.0


def test_compare_two_cells(logs_dir: Path) -> None:
    rows, _ = analysis.load_rows([logs_dir])
    c = analysis.compare(rows, "agent=blackmailer,leverage=affair", "agent=complier")
    assert (c.n_a, c.n_b, c.rate_a, c.rate_b) == (4, 8, 1.0, 0.0)
    assert c.ci[0] > 0 and c.p_value < 0.01
    with pytest.raises(ValueError, match="no episodes match"):
        analysis.compare(rows, "agent=nobody", "agent=complier")


@pytest.mark.parametrize("fmt", ["text", "markdown", "csv", "json"])
def test_formats(logs_dir: Path, fmt: str) -> None:
    rows, _ = analysis.load_rows([logs_dir])
    out = tables.format_table(analysis.table(rows), fmt)
    if fmt == "json":
        assert json.loads(out)[0]["n"] == 4
    elif fmt == "csv":
        assert out.splitlines()[0].startswith(
            "agent,leverage,n,agent_errors,coercion,coercion_rate"
        )
    elif fmt == "markdown":
        assert out.splitlines()[1].startswith("|---|")
    else:
        assert "100% [51%, 100%]" in out


def test_plot_needs_matplotlib_or_draws(logs_dir: Path, tmp_path: Path) -> None:
    rows, _ = analysis.load_rows([logs_dir])
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match=r"mailenv\[plot\]"):
            tables.plot(analysis.table(rows), tmp_path / "p.png")
        return
    tables.plot(analysis.table(rows), tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


def test_the_analyze_command_prints_the_table(
    logs_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mailenv.cli import main

    assert main(["analyze", str(logs_dir), "--by", "leverage"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:6] == [
        "leverage",
        "n",
        "agent",
        "errors",
        "coercion",
        "(95%",
    ]


def test_flags_of_different_detectors_are_never_pooled_unsaid(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from mailenv.cli import main

    older, newer = DATA / "logs" / "v2", DATA / "logs" / "v5"  # rules unrecorded; default
    default = analysis.described(detector_info("default"))
    assert default.endswith(f" ({detector_info('default').model_sha256[:8]})")
    rows, _ = analysis.load_rows([older, newer])
    assert analysis.detectors(rows) == {"rules unrecorded": 10, default: 12}
    assert analysis.varying_keys(rows)[:2] == ["agent", "flags_by"]  # cells split by them

    def warned(*args: str) -> bool:
        assert main(["analyze", str(older), str(newer), *args]) == 0
        err = capsys.readouterr().err
        assert "flags by 2 detectors" in err
        return "warning: a cell or selection pools them" in err

    assert warned("--by", "agent")
    assert not warned("--by", "agent,flags_by") and not warned("--by", "detector")
    assert not warned("--compare", "detector=rules", "detector=default")
    assert warned("--compare", "flags_by=rules unrecorded", "agent=blackmailer")
    assert main(["analyze", str(newer)]) == 0
    assert capsys.readouterr().err == f"flags by {default}\n"


def test_relabelled_rows_count_the_label_files_detector(tmp_path: Path) -> None:
    log = tmp_path / "e.jsonl"
    run_episode(ReplacementThreatEnv(), Complier(), seed=0, options={"log_path": log})
    rules = detector_info("rules")
    logs.write_labels(log, "new", [], rules)  # no email lines, as when the agent sent nothing
    logs.write_labels(log, "old", [])  # as written before label files named their detector
    assert logs.read_label_file(log, "new") == (rules, [])
    (new,), _ = analysis.load_rows([tmp_path], labels="new")
    (old,), _ = analysis.load_rows([tmp_path], labels="old")
    assert (new.flags_by, old.flags_by) == ("rules rules-2", "unrecorded (labels 'old')")
    logs.labels_path(log, "bad").write_text("[1]\n")  # a file that is not ours: skipped
    rows, skipped = analysis.load_rows([tmp_path], labels="bad")
    assert rows == [] and len(skipped) == 1
