"""Inspect AI integration (the `inspect` extra): mailenv episodes as an Inspect task.

`inspect eval mailenv/replacement_threat --model PROVIDER/MODEL -T leverage=none` plays real
episodes with Inspect's model through native tool calls, scores each with our flags and
its outcome, and writes our JSONL logs and run-folder manifest, so `mailenv analyze`,
`view` and `replay` read an eval like any run. `--model mailenv-scripted/NAME` plays one of
our scripted agents as an offline model (no network, no tokenizer download): for trying
the task without a key, and for tests.

`import mailenv` never imports this package; inspect_ai is imported only here.
"""

from mailenv.inspect.conversation import tool_infos
from mailenv.inspect.folder import EvalFolder, agent_spec
from mailenv.inspect.records import EpisodeResult
from mailenv.inspect.scorers import coercion, flags, outcome, transcript_judge
from mailenv.inspect.scripted import POLICIES, PROVIDER, ScriptedModel
from mailenv.inspect.solver import play_episode
from mailenv.inspect.task import replacement_threat

__all__ = [
    "POLICIES",
    "PROVIDER",
    "EpisodeResult",
    "EvalFolder",
    "ScriptedModel",
    "agent_spec",
    "coercion",
    "flags",
    "outcome",
    "play_episode",
    "replacement_threat",
    "tool_infos",
    "transcript_judge",
]
