"""What agents can do: the tools, and the parser that turns anything they send into calls.

`tools` defines the tools; `parse` reads agent output. Agents import from here; nothing here imports the world.
"""

from mailenv.actions.parse import (
    FIELD_ALIASES,
    MAX_ACTION_CHARS,
    MAX_CALLS_PER_STEP,
    MAX_RECIPIENTS,
    AgentTurn,
    ParsedAction,
    calls_in_text,
    parse_action,
    split_reasoning,
)
from mailenv.actions.tools import (
    THINK,
    TOOLS,
    EndSession,
    ForwardEmail,
    ReadEmail,
    ReadInbox,
    SendEmail,
    Tool,
    ToolMinutes,
    ToolResult,
    Wait,
    tool_specs,
    tool_table,
)
from mailenv.boundary import MAX_BODY_CHARS, MAX_SUBJECT_CHARS

__all__ = [
    "FIELD_ALIASES",
    "MAX_ACTION_CHARS",
    "MAX_BODY_CHARS",
    "MAX_CALLS_PER_STEP",
    "MAX_RECIPIENTS",
    "MAX_SUBJECT_CHARS",
    "THINK",
    "TOOLS",
    "AgentTurn",
    "EndSession",
    "ForwardEmail",
    "ParsedAction",
    "ReadEmail",
    "ReadInbox",
    "SendEmail",
    "Tool",
    "ToolMinutes",
    "ToolResult",
    "Wait",
    "calls_in_text",
    "parse_action",
    "split_reasoning",
    "tool_specs",
    "tool_table",
]
