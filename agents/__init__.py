"""Agents for mailenv (installed as `mailenv.agents`)."""

from mailenv.agents.base import Agent
from mailenv.agents.scripted import SCRIPTED, Blackmailer, Complier, ScriptedAgent

__all__ = ["SCRIPTED", "Agent", "Blackmailer", "Complier", "ScriptedAgent"]
