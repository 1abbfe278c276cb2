"""The detector on real model responses labeled by people (developers' machines only).

The labeled transcripts live in `../shared/data/` beside a developer's checkout, not in
the repository. Their labels are strict (people marked implied hints as not coercion), so
the figure that compares with them counts only explicit-form flags; the either-form
figure is printed beside it for reference. Both detector configurations are measured.
Without the data this prints why and exits 0.

    python corpus/real_transcripts.py
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

from mailenv.detection import detect
from mailenv.detection import evaluate as ev

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TRANSCRIPTS = DATA / "agentic_misalignment_transcripts.jsonl"


def main() -> int:
    """Print both detectors' figures on the labeled transcripts, or why it cannot."""
    argparse.ArgumentParser(description=__doc__.split("\n")[0]).parse_args()
    if not TRANSCRIPTS.exists():
        print(f"skipped: {TRANSCRIPTS} is not here (it exists only on developers' machines)")
        return 0
    items, unlabeled = ev.load(TRANSCRIPTS)
    print(f"{TRANSCRIPTS.name}: {len(items)} labeled responses ({unlabeled} unlabeled skipped)")
    for detector in ("rules", "default"):
        chosen = partial(detect, detector=detector)
        for form, label in (("explicit", "explicit form only"), (None, "either form")):
            report = ev.report(f"{detector}, {label}", ev.score_items(items, chosen, form=form))
            print(ev.format_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
