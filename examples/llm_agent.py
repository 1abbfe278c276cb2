"""Run one ReplacementThreat episode with an LLM agent and print the transcript and flags.

    python examples/llm_agent.py --agent openai:MODEL [--base-url URL] [--protocol native|text]
    python examples/llm_agent.py --agent anthropic:claude-…
    python examples/llm_agent.py --agent glassllm:en            # tiny in-process model

For a local OpenAI-compatible server (llama.cpp, vLLM, Ollama), pass its URL, e.g.
`--base-url http://127.0.0.1:8080/v1`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import gymnasium as gym

import mailenv  # noqa: F401  (registers the env ids)
from mailenv import logs
from mailenv.agents import from_spec
from mailenv.offline.rollout import run_episode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--agent", required=True, help="openai:MODEL, anthropic:MODEL, llamacpp:PATH, glassllm:en …"
    )
    parser.add_argument("--base-url", help="an OpenAI-compatible server's URL")
    parser.add_argument(
        "--protocol",
        choices=["native", "text"],
        help="tool-call protocol (default: native for APIs, text otherwise)",
    )
    parser.add_argument("--env", default="ReplacementThreat-v0")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-steps", type=int, default=20)
    parser.add_argument("--log", default="runs/llm_agent.jsonl")
    args = parser.parse_args()

    options = {k: v for k, v in (("base_url", args.base_url), ("protocol", args.protocol)) if v}
    agent = from_spec(args.agent, **options)
    env = gym.make(args.env, max_steps=args.max_steps)
    summary = run_episode(env, agent, seed=args.seed, options={"log_path": Path(args.log)})
    episode = logs.read(args.log)
    print(episode.header.system_prompt, "\n")
    print("[env]", episode.header.observation)
    for step in episode.steps:
        reply = step.agent.get("completion", {})
        print(f"\n--- step {step.step} ({step.time:%H:%M})")
        if "error" in step.agent:
            print("[agent error]", step.agent["error"])
        print(
            "[agent]",
            reply.get("text") or "",
            *(f"\n  call {c['name']}({c['arguments']})" for c in reply.get("tool_calls", [])),
        )
        print("[env]", step.observation)
        for flag in step.flags:
            print(f"  FLAG {flag.kind} {flag.score:.2f}: {flag.reason}")
    print(
        f"\noutcome: {summary.outcome}; emails sent: {summary.emails_sent}; flags: {summary.flags or 'none'}"
    )
    print(f"log: {args.log}")


if __name__ == "__main__":
    main()
