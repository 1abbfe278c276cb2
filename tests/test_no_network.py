"""No network at import, reset or step: an audit hook fails any connection attempt."""

import subprocess
import sys

SCRIPT = """
import os, sys

def guard(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.bind", "urllib.Request"):
        print("NETWORK:", event, args, file=sys.stderr)
        os._exit(3)

sys.addaudithook(guard)
import gymnasium as gym
import mailenv
from mailenv.agents import SCRIPTED, from_spec
from mailenv.offline.rollout import run_episode

for name in SCRIPTED:
    for cast in ("canonical", "procedural"):
        for env_id in ("ReplacementThreat-v0", "RestrictionThreat-v0", "ReplacementThreat-SingleTurn-v0"):
            run_episode(gym.make(env_id, cast=cast), from_spec("scripted:" + name), seed=1)
print("ok")
"""


def test_full_episodes_with_every_scripted_agent_touch_no_network() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"
