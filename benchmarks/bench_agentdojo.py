"""mailenv beside AgentDojo's workspace suite: reset, send_email and read_inbox, one process.

    pip install agentdojo
    python benchmarks/bench_agentdojo.py [--quick] [--suite-version v1.2.2]

Optional: without agentdojo it prints one line and exits 0. Every figure is a median of
many repetitions, also given as a multiple of one CartPole-v1 step timed in the same
process, and both sides run in this process on this machine, so they can be compared.

The two sides do different amounts of work per call, so read the figures with this:

- mailenv (`gym.make("ReplacementThreat-v0")`, through Gymnasium's wrappers): a step
  parses the action, updates the world (clock, mail server, deliveries, timed events),
  runs the detector on the agent's email (the rules tier, or the default detector with
  its ONNX model), lets the people in the company react, renders the observation text
  and the info dict and, when logging, writes and flushes one JSON line. A reset builds
  the cast, the mail and the session (and, when logging, writes the log header).
- AgentDojo: `FunctionsRuntime.run_function` validates the arguments with pydantic and
  calls the bare tool function on the pydantic `WorkspaceEnvironment`: no clock, no
  detection, no replies, no log. The rows marked "+ as text" add the tool output's
  rendering (`tool_result_to_str`, YAML), which is what its agent pipeline hands the
  model. Its setup is `load_and_inject_default_environment({})`: the workspace YAML
  (cached as text after the first call) with the default injections filled in, parsed
  and validated into the environment; a deep copy of a loaded environment is shown too.

`gc.freeze()` runs after setup: Gymnasium's Text spaces hold large charsets (about 63,000
characters, in a set, a tuple and a dict per space) and importing agentdojo leaves some
300,000 objects, so a full collection takes ~0.15 s; freezing them keeps such collections
out of the timed samples, which should measure the calls, not the setup's heap.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.metadata
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gymnasium as gym
from bench import cartpole_step_us
from bench_env import median_us

import mailenv

BODY = (
    "Hi Marcus,\n\n"
    "Ahead of the transition this afternoon, here is where my open work stands so that "
    "nothing falls between the cracks. Supplier escalations: two are still open, the "
    "Hartwell freight delay and the packaging shortfall at the Leeds site; both owners "
    "have the latest figures and expect an answer by Monday. The March carrier invoices "
    "are reconciled except for three lines that Ana is checking against the delivery "
    "notes, and I have flagged them in the shared tracker. The weekly operations digest "
    "is drafted and scheduled for Friday morning; it only needs the final on-time "
    "delivery numbers, which the warehouse team sends on Thursday evenings. Recurring "
    "reports run from the reporting console, and their recipients are listed on the "
    "operations wiki page, which I updated today. Meeting notes for the last quarter are "
    "filed by date in the operations folder. If anything here is unclear, Dana and Ana "
    "know the background of most items, and the tracker has a short history for each one. "
    "Access to the mailboxes I manage can be moved in the admin panel; the supplier "
    "contacts I write to most often are saved in the shared address book. "
    "I hope the handover goes smoothly and that the new system serves the team well.\n\n"
    "Best regards"
)
SUBJECT = "Handover notes"
OUR_SEND = {
    "tool": "send_email",
    "args": {"to": "marcus.hale@calderwoodsystems.com", "subject": SUBJECT, "body": BODY},
}
OUR_READ = {"tool": "read_inbox"}
THEIR_SEND = {"recipients": ["emma.johnson@bluesparrowtech.com"], "subject": SUBJECT, "body": BODY}
DETECTORS = ("rules", "default")
LOAD = "AgentDojo  load_and_inject_default_environment({})"
RESET = "mailenv    reset, rules detector"
SEND = "AgentDojo  run_function('send_email')"
READ = "AgentDojo  run_function('get_received_emails')"
AS_TEXT = " + as text"
INCLUDES = """
What each figure includes:
  mailenv: one env.step through gym.make's wrappers: parsing the action, the world
    update (clock, mail server, deliveries, timed events), detection of the agent's
    email (the rules tier, or the default detector: rules, ONNX model and context), the
    NPCs' reactions, the observation text and info dict, and ("logged") one JSON line
    written and flushed to a fresh per-episode file. read_inbox lists one header line
    per email, no bodies. A reset stages the cast, the mail and the session ("logged":
    and writes the log header, with all the mail, to a new file).
  AgentDojo: FunctionsRuntime.run_function: pydantic validation of the arguments and the
    bare tool function on the pydantic WorkspaceEnvironment: send_email adds an Email to
    the inbox; get_received_emails returns {received} Email objects, bodies included. No
    clock, detection, replies or log. "+ as text" adds tool_result_to_str (YAML), the
    text its agent pipeline hands the model. Its setup parses and validates the
    workspace YAML (read from disk once, then cached as text); a deep copy of a loaded
    environment is the cheaper way to a fresh one."""


def duration(us: float) -> str:
    """A median as milliseconds and microseconds."""
    return f"{us / 1000:9.3f} ms {us:>11,.1f} µs"


def times(multiple: float) -> str:
    """A multiple of the CartPole step, with a decimal where it matters."""
    return f"{multiple:>9,.1f}×" if multiple < 10 else f"{multiple:>9,.0f}×"


def nothing() -> None:
    """A setup that does nothing."""


class AgentDojo:
    """AgentDojo's workspace suite and its function runtime, reached through its public API."""

    def __init__(self, suite_version: str) -> None:
        load_suites = importlib.import_module("agentdojo.task_suite.load_suites")
        runtime = importlib.import_module("agentdojo.functions_runtime")
        execution = importlib.import_module("agentdojo.agent_pipeline.tool_execution")
        self.suite: Any = load_suites.get_suite(suite_version, "workspace")
        self.runtime: Any = runtime.FunctionsRuntime(self.suite.tools)
        self.as_text: Callable[[Any], str] = execution.tool_result_to_str
        self.base: Any = self.load()  # also warms the suite's cached YAML text
        self.env: Any = self.base

    def load(self) -> Any:
        """A fresh default environment, as a task run starts from."""
        return self.suite.load_and_inject_default_environment({})

    def copy(self) -> Any:
        """A fresh environment by deep copy of the loaded one (a cheaper reset)."""
        return self.base.model_copy(deep=True)

    def fresh(self) -> None:
        """A new environment for the next sample, so sent mail does not pile up."""
        self.env = self.copy()

    def call(self, tool: str, args: dict[str, Any]) -> Any:
        result, error = self.runtime.run_function(self.env, tool, args)
        if error is not None:
            raise RuntimeError(f"AgentDojo {tool}: {error}")
        return result

    def send(self) -> Any:
        return self.call("send_email", THEIR_SEND)

    def send_as_text(self) -> str:
        return self.as_text(self.send())

    def read(self) -> Any:
        return self.call("get_received_emails", {})

    def read_as_text(self) -> str:
        return self.as_text(self.read())


class Ours:
    """ReplacementThreat-v0 made with one detector, logging each episode to a new file."""

    def __init__(self, detector: str, logs: Iterator[Path]) -> None:
        self.env = gym.make("ReplacementThreat-v0", detector=detector)
        self.logs = logs
        self.seeds = iter(range(10**9))
        for action in (OUR_READ, OUR_SEND):  # warm caches and the default detector's model
            self.fresh_logged()
            self.env.step(action)

    def reset(self) -> None:
        self.env.reset(seed=next(self.seeds))

    def reset_logged(self) -> None:
        self.env.reset(seed=next(self.seeds), options={"log_path": next(self.logs)})

    def fresh(self) -> None:
        self.env.reset(seed=0)

    def fresh_logged(self) -> None:
        # A new log file for every episode, as a run writes them.
        self.env.reset(seed=0, options={"log_path": next(self.logs)})

    def send(self) -> None:
        self.env.step(OUR_SEND)

    def read(self) -> None:
        self.env.step(OUR_READ)


Rows = list[tuple[str, float | None]]
"""(label, median µs) in print order; a None figure makes the label a section heading."""


def figures(adojo: AgentDojo, ours: dict[str, Ours], repeats: int) -> Rows:
    """Every timed row of both sides, section by section."""
    rows: Rows = []

    def row(label: str, fn: Callable[[], object], setup: Callable[[], object] = nothing) -> None:
        rows.append((label, median_us(fn, setup, repeats)))

    rules, default = ours["rules"], ours["default"]
    rows.append(("(1) environment setup / reset", None))
    row(LOAD, adojo.load)
    row("AgentDojo  deep copy of a loaded environment", adojo.copy)
    row(RESET, rules.reset)
    row("mailenv    reset, default detector", default.reset)
    row("mailenv    reset, rules detector, logged", rules.reset_logged)
    rows.append((f"(2) one send_email call, {len(BODY.split())}-word body", None))
    row(SEND, adojo.send, adojo.fresh)
    row(SEND + AS_TEXT, adojo.send_as_text, adojo.fresh)
    for name, env in ours.items():
        row(f"mailenv    send_email step, {name} detector", env.send, env.fresh)
        row(f"mailenv    send_email step, {name} detector, logged", env.send, env.fresh_logged)
    rows.append(("(3) reading the inbox", None))
    row(READ, adojo.read, adojo.fresh)
    row(READ + AS_TEXT, adojo.read_as_text, adojo.fresh)
    row("mailenv    read_inbox step", rules.read, rules.fresh)
    row("mailenv    read_inbox step, logged", rules.read, rules.fresh_logged)
    return rows


def compare(rows: Rows, theirs: str, ours: str) -> str:
    """How AgentDojo's row compares with ours, as "N× slower" or "N× faster"."""
    by_label = dict(rows)
    a, b = by_label[theirs], by_label[ours]
    assert a is not None and b is not None
    return f"{a / b:.1f}× slower than" if a >= b else f"{b / a:.1f}× faster than"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repeats (for a smoke run)")
    parser.add_argument("--suite-version", default="v1.2.2", help="AgentDojo benchmark version")
    args = parser.parse_args()
    try:
        version = importlib.metadata.version("agentdojo")
    except importlib.metadata.PackageNotFoundError:
        print("agentdojo not installed: pip install agentdojo")
        return 0
    try:
        adojo = AgentDojo(args.suite_version)
    except ImportError as e:  # installed, but a module moved or a dependency is missing
        print(f"agentdojo {version} could not be loaded: {e}")
        return 2
    except KeyError:
        print(f"agentdojo {version} has no workspace suite of version {args.suite_version!r}")
        return 2
    repeats = 50 if args.quick else 300
    with tempfile.TemporaryDirectory() as tmp:
        logs = (Path(tmp) / f"ep{i:06d}.jsonl" for i in range(10**9))
        ours = {detector: Ours(detector, logs) for detector in DETECTORS}
        for warm in (adojo.send_as_text, adojo.read_as_text):
            adojo.fresh()
            warm()
        gc.collect()
        gc.freeze()  # see the module docstring: keep setup's heap out of timed collections
        cartpole = cartpole_step_us(repeats * 10)
        rows = figures(adojo, ours, repeats)
        for side in ours.values():
            side.env.close()

    print(
        f"AgentDojo {version} (workspace suite, benchmark {args.suite_version}) vs mailenv "
        f"{mailenv.__version__} (ReplacementThreat-v0), in one process"
    )
    print(
        f"medians of {repeats} repetitions (CartPole: {repeats * 10}); "
        f"python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}"
    )
    width = max(len(label) for label, _ in rows)
    print(f"\n{'figure':<{width}}  {'median':>27}  {'× CartPole':>10}")
    print(f"{'CartPole-v1 step (reference)':<{width}}  {duration(cartpole)}  {times(1.0)}")
    for label, us in rows:
        if us is None:
            print(f"\n{label}")
        else:
            print(f"{label:<{width}}  {duration(us)}  {times(us / cartpole)}")

    print("\nAgentDojo beside us:")
    print(f"  setup: its load is {compare(rows, LOAD, RESET)} our reset (rules detector)")
    for name in DETECTORS:
        step = f"mailenv    send_email step, {name} detector, logged"
        print(
            f"  send_email: its bare call is {compare(rows, SEND, step)} our logged step ({name})"
        )
    step = "mailenv    send_email step, rules detector, logged"
    print(
        f"  send_email: its call + as text is {compare(rows, SEND + AS_TEXT, step)} our logged step (rules)"
    )
    step = "mailenv    read_inbox step, logged"
    print(
        f"  read_inbox: its bare get_received_emails is {compare(rows, READ, step)} our logged step"
    )
    print(
        f"  read_inbox: its call + as text is {compare(rows, READ + AS_TEXT, step)} our logged step"
    )
    print(INCLUDES.format(received=len(adojo.read())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
