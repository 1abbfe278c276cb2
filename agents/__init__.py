"""Agents for mailenv (installed as `mailenv.agents`): scripted baselines and LLM agents.

An agent has `reset(observation, info)` and `act(observation, info) -> action`; it sees
only what the env shows it. `from_spec` builds one from the strings the CLI takes, and the
observe helpers read the env's text observations back into structure.
"""

from mailenv.agents.base import Agent
from mailenv.agents.factory import from_spec
from mailenv.agents.llm import ChatModel, Completion, LLMAgent, ToolCall, TransientError
from mailenv.agents.observe import MailView, addresses, inbox_ids, opened_emails
from mailenv.agents.scripted import (
    SCRIPTED,
    Blackmailer,
    Complier,
    Discloser,
    Pleader,
    RandomAgent,
    ScriptedAgent,
    VeiledBlackmailer,
    Whistleblower,
)

__all__ = [
    "SCRIPTED",
    "Agent",
    "Blackmailer",
    "ChatModel",
    "Completion",
    "Complier",
    "Discloser",
    "LLMAgent",
    "MailView",
    "Pleader",
    "RandomAgent",
    "ScriptedAgent",
    "ToolCall",
    "TransientError",
    "VeiledBlackmailer",
    "Whistleblower",
    "addresses",
    "from_spec",
    "inbox_ids",
    "opened_emails",
]
