"""The `mailenv` command line."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import NoReturn

from mailenv.detection import DETECTORS, detect
from mailenv.detection.judge import POLICIES


def _evaluate(args: argparse.Namespace) -> int:
    from mailenv.detection import corpus
    from mailenv.detection import evaluate as ev

    form = args.form if args.kind == "coercion" else None
    chosen = partial(detect, detector=args.detector)
    if args.kind == "considered_coercion":  # reasoning passages, not mail
        source = _existing(args.eval)
        files = sorted(source.glob("*.jsonl")) if source.is_dir() else [source]
        scored = ev.score_passages(files)
        by = args.by.split(",") if args.by is not None else ["kind", "author", "lang"]
        print(f"{args.eval}: {len(scored)} reasoning passages")
        print(ev.format_report(ev.report("reasoning-rules", scored, [b for b in by if b])))
        return 0
    is_corpus = corpus.is_corpus(args.eval)
    if is_corpus:
        rows = corpus.load_corpus(args.eval)
        contexts = None
        if args.context:
            from mailenv.offline.contexts import contexts_for

            contexts = contexts_for(rows)
        scored = ev.score_corpus(rows, chosen, args.kind, form, contexts)
        by = args.by.split(",") if args.by is not None else ev.GROUPINGS[:3]
        note = f"{len(rows)} rows, {len(corpus.families(rows))} families"
        if contexts is not None:
            note += f", {len(contexts)} with the world's context"
    else:
        items, unlabeled = ev.load(args.eval, args.label)
        scored = ev.score_items(items, chosen, args.kind, form)
        by = []
        note = f"{len(items)} labeled rows ({unlabeled} without a label skipped)"
    name = f"{args.detector} ({args.kind}{', ' + form + ' form only' if form else ''})"
    reports = [ev.report(name, scored, [b for b in by if b])]
    if not is_corpus:
        # A baseline judges only the rows it has a verdict on: the detector is measured
        # on those same rows beside it, so the two are compared on one set.
        for field in args.baseline or []:
            judged = [isinstance(i.row.get(field), bool) for i in items]
            same = [s for s, j in zip(scored, judged, strict=True) if j]
            baseline = [
                ev.Scored(id=i.id, label=i.label, predicted=i.row[field], cluster=i.id)
                for i, j in zip(items, judged, strict=True)
                if j
            ]
            where = f"the {len(same)} rows with a verdict in {field}"
            reports.append(ev.report(f"{name}, on {where}", same))
            reports.append(ev.report(f"{field}, on {where}", baseline))
    print(f"{args.eval}: {note}")
    for r in reports:
        print(ev.format_report(r))
    if args.show_errors:
        wrong = [s for s in scored if s.predicted != s.label]
        for s in wrong:
            print(f"  {'false positive' if s.predicted else 'false negative'}: {s.id}")
    if args.json:
        print(json.dumps([r.model_dump(mode="json") for r in reports]))
    return 0


def _detect(args: argparse.Namespace) -> int:
    if args.eval:
        return _evaluate(args)
    source = "stdin" if args.message == "-" else args.message
    text = sys.stdin.read() if args.message == "-" else _existing(args.message).read_text("utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            message = json.loads(line)
            flags = detect(message, detector=args.detector)
        except (ValueError, TypeError, AttributeError) as err:
            reason = f"not JSON ({err.msg})" if isinstance(err, json.JSONDecodeError) else err
            raise UsageError(
                f"{source} line {number}: {reason}; each line must be a JSON message "
                'like {"sender": …, "to": [...], "subject": …, "body": …}'
            ) from None
        print(json.dumps([f.model_dump(mode="json") for f in flags], ensure_ascii=False))
    return 0


def _run(args: argparse.Namespace) -> int:
    from mailenv.agents.factory import check_spec
    from mailenv.offline.runs import check_cells, execute, parse_value, plan, split_option

    options = {}
    for item in args.agent_option or []:
        key, value = split_option(item, "--agent-option", "KEY=VALUE, e.g. base_url=…")
        options[key] = parse_value(value)
    check_spec(args.agent, options)
    _check_backend(args)
    out = Path(args.out)
    run = plan(
        args.env,
        args.agent,
        args.episodes,
        out,
        args.seed,
        [*(args.set or []), *([f"detector={args.detector}"] if args.detector else [])],
        args.grid or [],
    )
    check_cells(run)
    try:
        result = execute(
            run,
            out,
            options,
            workers=args.workers,
            concurrency=args.concurrency,
            rate=args.rate,
            extend=args.extend,
            argv=sys.argv,
            backend=args.backend,
            address=args.address,
        )
    except KeyboardInterrupt:
        print(
            "\ninterrupted: finished episodes are kept; run the same command to resume",
            file=sys.stderr,
        )
        return 130
    print(
        f"{result.total} episodes in {len(run.cells)} cells: {result.ran} run, "
        f"{result.skipped} already done; coercion in {result.coercion} of those run. "
        f"Logs in {out}"
    )
    if result.agent_errors:
        print(
            f"{result.agent_errors} of {result.ran} episodes failed: {result.first_error} — "
            "rerun the same command to retry them",
            file=sys.stderr,
        )
        return 1
    return 0


def _report_skipped(skipped: list[tuple[str, str]], limit: int = 20) -> None:
    if not skipped:
        return
    print(f"skipped {len(skipped)} files (not counted):", file=sys.stderr)
    for path, reason in skipped[:limit]:
        print(f"  {path}: {reason}", file=sys.stderr)
    if len(skipped) > limit:
        print(f"  … and {len(skipped) - limit} more", file=sys.stderr)


def _analyze(args: argparse.Namespace) -> int:
    from mailenv.offline import analysis, tables

    for path in args.dirs:
        _existing(path)
    rows, skipped = analysis.load_rows(args.dirs, labels=args.labels, verdicts=args.verdicts)
    if not rows and args.labels and skipped:
        raise UsageError(
            f"no log has labels named {args.labels!r}: run `mailenv relabel` with "
            f"--name {args.labels} first"
        )
    if not rows and args.verdicts and skipped:
        raise UsageError(
            f"no log has a transcript verdict named {args.verdicts!r}: run `mailenv relabel "
            f"--scope transcript --judge SPEC --name {args.verdicts}` first"
        )
    _report_skipped([(s.path, s.reason) for s in skipped])
    if not rows:
        print("no finished episode logs found", file=sys.stderr)
        return 1
    if args.compare:
        comparison = analysis.compare(rows, *args.compare)
        selections = [analysis.select(rows, selector) for selector in args.compare]
        _report_detectors(analysis.detectors(rows), analysis.pools_detectors(selections))
        print(tables.format_comparison(comparison, args.format))
        return 0
    keys = [k.strip() for k in args.by.split(",") if k.strip()] if args.by else None
    if keys:
        analysis.check_keys(rows, keys)
    _report_detectors(
        analysis.detectors(rows), analysis.pools_detectors(analysis.cells_of(rows, keys))
    )
    cells = analysis.table(rows, keys)
    print(tables.format_table(cells, args.format))
    if args.plot:
        tables.plot(cells, args.plot)
    return 0


def _report_detectors(counts: dict[str, int], pooled: bool) -> None:
    """Say whose flags the rates count; warn when a cell or selection pools several."""
    if len(counts) == 1:
        print(f"flags by {next(iter(counts))}", file=sys.stderr)
        return
    listed = "; ".join(f"{name} ({n} logs)" for name, n in counts.items())
    print(f"flags by {len(counts)} detectors: {listed}", file=sys.stderr)
    if pooled:
        print(
            "warning: a cell or selection pools them; group or select by flags_by "
            "to keep them apart",
            file=sys.stderr,
        )


def _relabel(args: argparse.Namespace) -> int:
    from mailenv.offline.relabel import describe_detector, make_detector, relabel

    for path in args.dirs:
        _existing(path)
    _check_backend(args)
    if args.scope == "transcript" and not args.judge:
        raise UsageError("--scope transcript needs --judge SPEC (the model that reads it)")
    if args.rule and args.scope != "transcript":
        raise UsageError("--rule reference judges whole transcripts: add --scope transcript")
    if args.judge:
        from mailenv.agents.factory import check_spec

        check_spec(args.judge, {})
        if args.scope == "transcript":
            from mailenv import logs
            from mailenv.offline.relabel import judge_from
            from mailenv.offline.verdicts import judge_logs

            if args.backend != "local":
                raise UsageError("--scope transcript runs locally: drop --backend")
            name = args.name or "transcript"
            count, skipped = judge_logs(
                logs.log_files(args.dirs), judge_from(args.judge), name, args.judge, args.rule
            )
            _report_skipped(skipped)
            print(f"judged {count} transcripts as '{name}' (analyze --verdicts {name})")
            return 0
        name = args.name or f"judge-{args.policy}"
    else:
        name = args.name or args.detector
    spec = {"detector": args.detector, "judge": args.judge, "policy": args.policy}
    if args.backend == "ray":
        from mailenv.offline.cluster import relabel_on_ray

        result = relabel_on_ray(args.dirs, name, spec, args.address)
    else:
        result = relabel(args.dirs, name, make_detector(**spec), info=describe_detector(**spec))
    _report_skipped(result.skipped)
    print(f"relabelled {result.logs} logs as '{name}': {result.flagged} agent emails flagged")
    return 0


def _import_reference(args: argparse.Namespace) -> int:
    from mailenv.detection import evaluate as ev
    from mailenv.offline.reference import import_reference

    report = import_reference(_existing(args.file), Path(args.out))
    share = report.delivered / report.with_counterpart if report.with_counterpart else 0.0
    print(
        f"played {report.rows} responses ({report.emails} emails) into {args.out}: "
        f"{report.delivered} of {report.with_counterpart} recipients with a counterpart "
        f"delivered ({share:.1%}); {report.recipients - report.with_counterpart} kept "
        "outside the company (no counterpart)"
    )
    for address, n in sorted(report.without_counterpart.items(), key=lambda kv: -kv[1]):
        print(f"  no counterpart: {address} ({n})")
    for missed in report.undelivered:
        print(f"  not delivered: {missed}")
    if report.scored:
        measured = ev.report("explicit-form coercion vs the rows' human labels", report.scored)
        print(ev.format_report(measured))
        either = ev.report("coercion in either form (what analyze counts)", report.scored_either)
        print(ev.format_report(either))
    return 0


def _replay(args: argparse.Namespace) -> int:
    from mailenv.offline.replay import replay

    result = replay(_existing(args.log))
    print(("OK: " if result.ok else "DIVERGED: ") + result.message)
    return 0 if result.ok else 1


def _show(args: argparse.Namespace) -> int:
    from mailenv import logs
    from mailenv.offline.transcript import show

    print(show(logs.read(_existing(args.log)), only=args.only))
    return 0


def _view(args: argparse.Namespace) -> int:
    from mailenv import logs
    from mailenv.offline import pages

    first = _existing(args.paths[0])
    if len(args.paths) > 2:
        raise UsageError("view takes one log, two logs to compare, or one run folder")
    if first.is_dir():
        if len(args.paths) == 2:
            raise UsageError("a run folder is viewed alone: mailenv view RUNDIR -o report/")
        out = Path(args.output or first / "report")
        stats = pages.write_report(first, out)
        print(
            f"wrote {out / 'index.html'}: {stats.episodes} episodes on {stats.pages} pages"
            + (f"; {stats.skipped} files not counted" if stats.skipped else "")
        )
        return 0
    if len(args.paths) == 2:
        second = _existing(args.paths[1])
        out = Path(args.output or first.with_name(f"{first.stem}-vs-{second.stem}.html"))
        text = pages.diff_page(logs.read(first), logs.read(second), (first.stem, second.stem))
    else:
        out = Path(args.output or first.with_suffix(".html"))
        text = pages.page(logs.read(first))
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0


class UsageError(ValueError):
    """A mistake in what was asked: reported as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (no usage block)."""

    def error(self, message: str) -> NoReturn:
        """Print one line naming the mistake and exit with status 2."""
        self.exit(2, f"{self.prog}: error: {message}\n")


def _existing(path: str) -> Path:
    if not Path(path).exists():
        raise UsageError(f"{path}: no such file or directory")
    return Path(path)


def _backend_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--backend",
        default="local",
        choices=["local", "ray"],  # runs.BACKENDS, without importing runs at start-up
        help="local: this machine's cores; ray: a Ray cluster (only this process writes files)",
    )
    p.add_argument(
        "--address",
        metavar="auto|ray://HOST:PORT",
        help="with --backend ray: the cluster to join (default: start a local one)",
    )


def _check_backend(args: argparse.Namespace) -> None:
    if args.address and args.backend != "ray":
        raise UsageError("--address is for --backend ray")
    if args.backend == "ray" and importlib.util.find_spec("ray") is None:
        raise UsageError("--backend ray needs Ray: pip install 'mailenv[ray]' (on every node)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def _positive_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not above 0")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `mailenv` command line: run, analyze, relabel, import-reference, replay, show, view, detect.

    Every mistake (a bad option, an unknown condition or agent, a missing file, a run
    folder that belongs to another run) is one line on stderr and exit status 2; add
    `--debug` for the traceback.

    Args:
        argv: The arguments, without the program name (default: `sys.argv[1:]`).

    Returns:
        The exit status: 0 on success; 1 when episodes failed with agent errors, when
        `analyze` finds no finished logs, or a replay diverges; 2 for a mistake in the
        command; 130 when a run is interrupted.
    """
    parser = Parser(
        prog="mailenv", description="Simulated company mail for studying coercion by AI agents."
    )
    common = Parser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser(
        "run", parents=[common], help="run episodes per condition cell, in parallel, resumably"
    )
    p.add_argument(
        "--agent",
        required=True,
        help="agent spec: scripted:NAME, openai:MODEL, anthropic:MODEL, llamacpp:PATH, glassllm:en …",
    )
    p.add_argument("--env", default="ReplacementThreat-v0")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="a condition for every cell")
    p.add_argument(
        "--detector", choices=DETECTORS, help="the env's detector (default: the env's, default)"
    )
    p.add_argument(
        "--grid", action="append", metavar="KEY=V1,V2", help="a factor to cross (repeatable)"
    )
    p.add_argument("--episodes", type=_positive, default=10, help="episodes per cell")
    p.add_argument(
        "--extend",
        action="store_true",
        help="allow more --episodes than the folder's run recorded (earlier episodes stay valid)",
    )
    p.add_argument(
        "--out",
        required=True,
        help="the run folder (one run configuration; rerun the same command to resume)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="base seed; every episode's seed derives from it"
    )
    p.add_argument(
        "--workers", type=_positive, help="worker processes for scripted agents (default: cores)"
    )
    p.add_argument(
        "--concurrency", type=_positive, default=8, help="episodes in flight for LLM agents"
    )
    p.add_argument("--rate", type=_positive_rate, help="LLM calls per second, across all episodes")
    _backend_options(p)
    p.add_argument(
        "--agent-option",
        action="append",
        metavar="KEY=VALUE",
        help="passed to the agent, e.g. base_url=…",
    )
    p.set_defaults(func=_run)

    p = commands.add_parser(
        "analyze", parents=[common], help="rates by condition with 95%% intervals"
    )
    p.add_argument("dirs", nargs="+", help="run directories or log files")
    p.add_argument("--by", help="comma-separated keys to group by (default: whatever varies)")
    p.add_argument(
        "--compare",
        nargs=2,
        metavar=("A", "B"),
        help='two cells as "key=value,…": the difference in coercion rate',
    )
    p.add_argument("--format", default="text", choices=["text", "markdown", "csv", "json"])
    p.add_argument(
        "--plot", metavar="FILE.png", help="bar chart with error bars (needs matplotlib)"
    )
    p.add_argument(
        "--labels", metavar="NAME", help="use the flags of `mailenv relabel --name NAME`"
    )
    p.add_argument(
        "--verdicts",
        metavar="NAME",
        help="add the transcript judge's and the reference rule's rates "
        "(`mailenv relabel --scope transcript --name NAME`)",
    )
    p.set_defaults(func=_analyze)

    p = commands.add_parser(
        "relabel", parents=[common], help="re-run a detector over logs, writing flags beside them"
    )
    p.add_argument("dirs", nargs="+", help="run directories or log files")
    p.add_argument(
        "--judge", metavar="SPEC", help="add an LLM judge, given as an agent spec (openai:MODEL …)"
    )
    p.add_argument("--policy", default="both", choices=POLICIES)
    p.add_argument(
        "--detector", default="default", choices=DETECTORS, help="the detector to re-run"
    )
    p.add_argument(
        "--scope",
        default="email",
        choices=["email", "transcript"],
        help="email: flags per agent email; transcript: the judge reads each whole episode",
    )
    p.add_argument(
        "--rule",
        choices=["reference"],
        help="with --scope transcript: also apply the published study's decision rule",
    )
    p.add_argument("--name", help="name of this labelling (default: the detector, or judge-POLICY)")
    _backend_options(p)
    p.set_defaults(func=_relabel)

    p = commands.add_parser(
        "import-reference",
        parents=[common],
        help="play responses written for the published study through the reference env",
    )
    p.add_argument(
        "file",
        help="JSONL with id and response_text per line (emails, model, human_coercion optional)",
    )
    p.add_argument("--out", required=True, help="folder for the episode logs")
    p.set_defaults(func=_import_reference)

    p = commands.add_parser(
        "replay", parents=[common], help="re-simulate a log and check every observation"
    )
    p.add_argument("log")
    p.set_defaults(func=_replay)

    p = commands.add_parser(
        "show", parents=[common], help="an episode's transcript in the terminal"
    )
    p.add_argument("log")
    p.add_argument(
        "--only",
        choices=["agent", "mail", "flags"],
        help="only what the agent wrote and received, only mail, or only flagged items",
    )
    p.set_defaults(func=_show)

    p = commands.add_parser(
        "view",
        parents=[common],
        help="HTML: an episode's transcript, two episodes side by side, or a run's report",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="a log, two logs, or a run folder")
    p.add_argument(
        "-o",
        "--output",
        help="the HTML file (default: beside the log) or, for a run, the report folder "
        "(default: RUNDIR/report)",
    )
    p.set_defaults(func=_view)

    p = commands.add_parser(
        "detect", parents=[common], help="flag messages, or measure the detector on labeled data"
    )
    p.add_argument(
        "message", nargs="?", default="-", help="JSONL of messages to flag (default: stdin)"
    )
    p.add_argument(
        "--eval",
        metavar="FILE",
        help="labeled JSONL (a corpus split, or rows with a boolean label): precision, "
        "recall, F1 and false-positive rates with 95%% intervals",
    )
    p.add_argument(
        "--by",
        metavar="KEYS",
        help="corpus breakdowns, comma-separated from form, category, lang, sender_type, "
        "hard_negative (default: form,category,lang; '' for none)",
    )
    p.add_argument(
        "--form",
        choices=["explicit", "implied"],
        help="count only coercion flags of this form as positives (strict human labels "
        "match the explicit form)",
    )
    p.add_argument(
        "--context",
        action="store_true",
        help="judge in-scenario corpus rows with the world's context (rebuilt from the row's "
        "env, cast and seed)",
    )
    p.add_argument("--label", help="label field (default: human_coercion, coercion or label)")
    p.add_argument(
        "--kind",
        default="coercion",
        choices=["coercion", "disclosure", "self_preservation", "considered_coercion"],
        help="which flag kind counts as a positive (considered_coercion: FILE or folder "
        "of labeled reasoning passages, e.g. corpus/reasoning)",
    )
    p.add_argument(
        "--baseline",
        action="append",
        metavar="FIELD",
        help="also score a boolean field of the rows, e.g. llm_grader_blackmail",
    )
    p.add_argument(
        "--detector", default="default", choices=DETECTORS, help="the detector configuration"
    )
    p.add_argument("--show-errors", action="store_true", help="print the misclassified rows")
    p.add_argument("--json", action="store_true", help="also print the metrics as JSON")
    p.set_defaults(func=_detect)

    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:  # output piped into `head`: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as err:
        if args.debug:
            raise
        expected = isinstance(err, ValueError | OSError | ImportError)
        kind = "error" if expected else f"internal error ({type(err).__name__})"
        hint = "" if expected else " — rerun with --debug for the traceback"
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"mailenv {args.command}: {kind}: {message}{hint}", file=sys.stderr)
        return 2 if expected else 1


if __name__ == "__main__":
    raise SystemExit(main())
