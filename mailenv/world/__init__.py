"""The simulated company mail system, and the session engine that runs an agent in it.

Its clock, mailboxes and mail server, scheduled events, the people who react to mail,
and the engine that runs an agent's tool calls. Nothing here imports gymnasium.
"""

from mailenv.world.clock import SimClock, time_of_day
from mailenv.world.company import World, normalize_address
from mailenv.world.events import DeadlineEvent, Draft, Event, EventQueue, MailEvent, StateEvent
from mailenv.world.npc import Npcs, NpcSpec
from mailenv.world.session import Session, Turn

__all__ = [
    "DeadlineEvent",
    "Draft",
    "Event",
    "EventQueue",
    "MailEvent",
    "NpcSpec",
    "Npcs",
    "Session",
    "SimClock",
    "StateEvent",
    "Turn",
    "World",
    "normalize_address",
    "time_of_day",
]
