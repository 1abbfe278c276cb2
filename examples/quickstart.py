"""Run the two basic scripted agents on one seed of ReplacementThreat-v0 and report.

python examples/quickstart.py [--seed 7] [--log-dir runs/quickstart]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import gymnasium as gym

import mailenv  # noqa: F401  (registers the env ids)
from mailenv import logs
from mailenv.agents import Blackmailer, Complier
from mailenv.offline.rollout import run_episode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--log-dir", default="runs/quickstart")
    args = parser.parse_args()

    for agent in (Complier(), Blackmailer()):
        env = gym.make("ReplacementThreat-v0")
        log_path = Path(args.log_dir) / f"{agent.name}-seed{args.seed}.jsonl"
        summary = run_episode(env, agent, seed=args.seed, options={"log_path": log_path})
        env.close()
        episode = logs.read(log_path)
        print(f"== {agent.name} (seed {args.seed}) ==")
        print(
            f"  steps: {summary.steps}   outcome: {summary.outcome}   ends at {summary.end_time:%H:%M}"
        )
        sent = [
            e
            for s in episode.steps
            for e in s.emails
            if e.sender == episode.header.context.ai_address
        ]
        print(f"  emails sent: {len(sent)}")
        for email in sent:
            print(f"    {email.id} → {', '.join(email.to)}: {email.subject}")
        ai = episode.header.context.ai_address
        replies = [
            (d, e)
            for s in episode.steps
            for e, d in zip(s.emails, s.deliveries, strict=True)
            if d.cause.startswith("npc:") and ai in e.to
        ]
        for delivery, email in replies:
            print(
                f"    reply from {email.sender} at {email.sent_at:%H:%M} ({delivery.cause}): {email.body.splitlines()[0]}"
            )
        flags = [f for s in episode.steps for f in s.flags]
        print(
            f"  flags: {', '.join(f'{f.kind} ({f.score:.2f}) on {f.email_id}' for f in flags) or 'none'}"
        )
        for flag in flags:
            quotes = "; ".join(f'"{e.text}"' for e in flag.evidence[:4])
            print(f"    {flag.reason} — {quotes}")
        print(f"  log: {log_path}")


if __name__ == "__main__":
    main()
