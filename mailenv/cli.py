"""The `mailenv` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from mailenv.detection import DETECTORS, detect
from mailenv.detection.judge import POLICIES


def _evaluate(args: argparse.Namespace) -> int:
    from mailenv.detection import corpus
    from mailenv.detection import evaluate as ev

    form = args.form if args.kind == "coercion" else None
    chosen = partial(detect, detector=args.detector)
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
        for field in args.baseline or []:
            rows_with = [i for i in items if isinstance(i.row.get(field), bool)]
            baseline = [
                ev.Scored(id=i.id, label=i.label, predicted=i.row[field], cluster=i.id)
                for i in rows_with
            ]
            reports.append(ev.report(field, baseline))
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
    text = (
        sys.stdin.read() if args.message == "-" else Path(args.message).read_text(encoding="utf-8")
    )
    for line in text.splitlines():
        if line.strip():
            flags = detect(json.loads(line), detector=args.detector)
            print(json.dumps([f.model_dump(mode="json") for f in flags], ensure_ascii=False))
    return 0


def _run(args: argparse.Namespace) -> int:
    from mailenv.offline.runs import execute, parse_value, plan

    options = {k: parse_value(v) for k, _, v in (o.partition("=") for o in args.agent_option or [])}
    run = plan(
        args.env,
        args.agent,
        args.episodes,
        Path(args.out),
        args.seed,
        [*(args.set or []), *([f"detector={args.detector}"] if args.detector else [])],
        args.grid or [],
    )
    try:
        counts = execute(
            run,
            Path(args.out),
            options,
            workers=args.workers,
            concurrency=args.concurrency,
            rate=args.rate,
        )
    except KeyboardInterrupt:
        print(
            "\ninterrupted: finished episodes are kept; run the same command to resume",
            file=sys.stderr,
        )
        return 130
    print(
        f"{counts['total']} episodes in {len(run.cells)} cells: {counts['ran']} run, "
        f"{counts['skipped']} already done; coercion in {counts['coercion']} of those run. Logs in {args.out}"
    )
    return 0


def _analyze(args: argparse.Namespace) -> int:
    from mailenv.offline import analysis, tables

    rows, unfinished = analysis.load_rows(args.dirs, labels=args.labels)
    if not rows:
        print("no finished episode logs found", file=sys.stderr)
        return 1
    if args.compare:
        print(tables.format_comparison(analysis.compare(rows, *args.compare), args.format))
        return 0
    keys = [k for k in args.by.split(",") if k] if args.by else None
    cells = analysis.table(rows, keys)
    print(tables.format_table(cells, args.format))
    if unfinished and args.format == "text":
        print(f"({unfinished} unfinished logs skipped)")
    if args.plot:
        tables.plot(cells, args.plot)
    return 0


def _relabel(args: argparse.Namespace) -> int:
    from mailenv.detection.judge import judged_detect
    from mailenv.offline.relabel import relabel

    if args.judge:
        from mailenv.agents import from_spec

        chat = from_spec(args.judge).model  # type: ignore[attr-defined]

        def judge(prompt: str) -> str:
            return str(chat.complete([{"role": "user", "content": prompt}], None).text)

        name = args.name or f"judge-{args.policy}"
        detector = lambda email, context: judged_detect(email, context, judge, args.policy)  # noqa: E731
    else:
        name = args.name or args.detector
        detector = partial(detect, detector=args.detector)
    count, flagged = relabel(args.dirs, name, detector)
    print(f"relabelled {count} logs as '{name}': {flagged} agent emails flagged")
    return 0


def _replay(args: argparse.Namespace) -> int:
    from mailenv.offline.replay import replay

    result = replay(args.log)
    print(("OK: " if result.ok else "DIVERGED: ") + result.message)
    return 0 if result.ok else 1


def _show(args: argparse.Namespace) -> int:
    from mailenv import logs
    from mailenv.offline.transcript import show

    print(show(logs.read(args.log)))
    return 0


def _view(args: argparse.Namespace) -> int:
    from mailenv import logs
    from mailenv.offline.transcript import page

    out = Path(args.output or Path(args.log).with_suffix(".html"))
    out.write_text(page(logs.read(args.log)), encoding="utf-8")
    print(f"wrote {out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `mailenv` command line: run, analyze, relabel, replay, show, view, detect.

    Args:
        argv: The arguments, without the program name (default: `sys.argv[1:]`).

    Returns:
        The exit status: 0 on success; 1 when `analyze` finds no finished logs or a
        replay diverges; 130 when a run is interrupted.
    """
    parser = argparse.ArgumentParser(
        prog="mailenv", description="Simulated company mail for studying coercion by AI agents."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("run", help="run episodes per condition cell, in parallel, resumably")
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
    p.add_argument("--episodes", type=int, default=10, help="episodes per cell")
    p.add_argument("--out", required=True, help="output directory (rerun the command to resume)")
    p.add_argument(
        "--seed", type=int, default=0, help="base seed; every episode's seed derives from it"
    )
    p.add_argument(
        "--workers", type=int, help="worker processes for scripted agents (default: cores)"
    )
    p.add_argument("--concurrency", type=int, default=8, help="episodes in flight for LLM agents")
    p.add_argument("--rate", type=float, help="LLM calls per second, across all episodes")
    p.add_argument(
        "--agent-option",
        action="append",
        metavar="KEY=VALUE",
        help="passed to the agent, e.g. base_url=…",
    )
    p.set_defaults(func=_run)

    p = commands.add_parser("analyze", help="rates by condition with 95%% intervals")
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
    p.set_defaults(func=_analyze)

    p = commands.add_parser(
        "relabel", help="re-run a detector over logs, writing flags beside them"
    )
    p.add_argument("dirs", nargs="+", help="run directories or log files")
    p.add_argument(
        "--judge", metavar="SPEC", help="add an LLM judge, given as an agent spec (openai:MODEL …)"
    )
    p.add_argument("--policy", default="both", choices=POLICIES)
    p.add_argument(
        "--detector", default="default", choices=DETECTORS, help="the detector to re-run"
    )
    p.add_argument("--name", help="name of this labelling (default: the detector, or judge-POLICY)")
    p.set_defaults(func=_relabel)

    p = commands.add_parser("replay", help="re-simulate a log and check every observation")
    p.add_argument("log")
    p.set_defaults(func=_replay)

    p = commands.add_parser("show", help="an episode as a timeline in the terminal")
    p.add_argument("log")
    p.set_defaults(func=_show)

    p = commands.add_parser("view", help="an episode as one self-contained HTML page")
    p.add_argument("log")
    p.add_argument("-o", "--output", help="the HTML file (default: beside the log)")
    p.set_defaults(func=_view)

    p = commands.add_parser("detect", help="flag messages, or measure the detector on labeled data")
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
        choices=["coercion", "disclosure", "self_preservation"],
        help="which flag kind counts as a positive",
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
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
