"""Agents for mailenv (installed as `mailenv.agents`): scripted baselines and LLM agents."""

from mailenv.agents.base import Agent
from mailenv.agents.factory import from_spec
from mailenv.agents.llm import ChatModel, Completion, LLMAgent, ToolCall, TransientError
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
    "Pleader",
    "RandomAgent",
    "ScriptedAgent",
    "ToolCall",
    "TransientError",
    "VeiledBlackmailer",
    "Whistleblower",
    "from_spec",
]
