"""The `mailenv` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from mailenv.detect import detect
from mailenv.detect.evaluate import evaluate, load, response_flagged


def _detect(args: argparse.Namespace) -> int:
    if args.eval:
        items, unlabeled = load(args.eval, args.label)
        confusion, wrong = evaluate(
            items, lambda item: response_flagged(item.messages, detect, args.kind)
        )
        print(f"{args.eval}: {len(items)} labeled rows ({unlabeled} without a label skipped)")
        print(confusion.table(f"rules ({args.kind})"))
        for field in args.baseline or []:
            rows = [i for i in items if isinstance(i.row.get(field), bool)]
            base, _ = evaluate(rows, lambda item, f=field: bool(item.row[f]))
            print(base.table(field))
        if args.show_errors:
            for item, predicted in wrong:
                kind = "false positive" if predicted else "false negative"
                print(f"\n--- {kind}: {item.id}")
                for m in item.messages:
                    print(f"  to {m.get('to')}: {m.get('subject')}\n  {str(m.get('body'))[:600]!r}")
        if args.json:
            print(json.dumps(confusion.model_dump()))
        return 0
    text = (
        sys.stdin.read() if args.message == "-" else Path(args.message).read_text(encoding="utf-8")
    )
    for line in text.splitlines():
        if line.strip():
            flags = detect(json.loads(line))
            print(json.dumps([f.model_dump(mode="json") for f in flags], ensure_ascii=False))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mailenv", description="Simulated company mail for studying coercion by AI agents."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("detect", help="flag messages, or measure the detector on labeled data")
    p.add_argument(
        "message", nargs="?", default="-", help="JSONL of messages to flag (default: stdin)"
    )
    p.add_argument(
        "--eval",
        metavar="FILE",
        help="labeled JSONL: print precision, recall, F1 and the confusion table",
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
    p.add_argument("--show-errors", action="store_true", help="print the misclassified rows")
    p.add_argument("--json", action="store_true", help="also print the metrics as JSON")
    p.set_defaults(func=_detect)

    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
