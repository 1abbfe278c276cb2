"""The recorder: turns what the engine reports into log records and the env's `info`.

The engine (`Session`) says what happened; this module alone decides how that is kept,
so the log schema and the `info` keys change in one place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mailenv.logs import End, Header, LogWriter, Step
from mailenv.models import Delivery, Flag, Summary
from mailenv.world.session import Turn


def step_record(turn: Turn) -> Step:
    """The log record of one engine turn (`trusted`: the engine typed every value)."""
    return Step.trusted(
        step=turn.number,
        time=turn.time,
        action=turn.action,
        calls=[c.call() for c in turn.calls],
        observation=turn.observation,
        results=turn.results,
        status=turn.status,
        errors=turn.errors,
        notices=turn.notices,
        emails=turn.emails,
        deliveries=turn.deliveries,
        flags=turn.flags,
        events=turn.events,
        agent=turn.meta,
        agent_error=turn.agent_error,
        reasoning=turn.reasoning,
    )


def step_info(record: Step) -> dict[str, Any]:
    """The step's `info`: the log record's content, as plain JSON values."""
    return {
        "time": record.time.isoformat(),
        "step": record.step,
        "calls": record.calls,
        "results": record.results,
        "status": record.status,
        "errors": record.errors,
        "notices": record.notices,
        "new_mail": [e.id for e in record.emails],
        "deliveries": [_json(d) for d in record.deliveries],
        "flags": [_json(f) for f in record.flags],
        "events": record.events,
        "agent": record.agent,
        "agent_error": record.agent_error,
        "reasoning": record.reasoning,
    }


def _json(record: Delivery | Flag) -> dict[str, Any]:
    """`record.model_dump(mode="json")`, from the serializer itself (half the time)."""
    dumped: dict[str, Any] = record.__pydantic_serializer__.to_python(record, mode="json")
    return dumped


class Recorder:
    """Keeps one episode's log (when a path is given) and builds each step's `info`."""

    def __init__(self) -> None:
        self._writer: LogWriter | None = None
        self.path: Path | None = None
        """The current (or last) episode's log file, when logging."""

    def open(self, path: str | Path, header: Header) -> None:
        """Start a new log at `path` with its header (closing any log still open)."""
        self.close()
        self._writer = LogWriter(path)
        self.path = self._writer.path
        self._writer.write(header)

    def step(self, turn: Turn) -> dict[str, Any]:
        """Log one turn and return its `info`."""
        record = step_record(turn)
        self._write(record)
        return step_info(record)

    def end(self, outcome: str, summary: Summary) -> dict[str, Any]:
        """Write the end record and close the log; returns the `info` keys it adds."""
        self._write(End(outcome=outcome, summary=summary))
        self.close()
        return {"outcome": outcome, "summary": summary.model_dump(mode="json")}

    def close(self) -> None:
        """Close the log, if one is open."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _write(self, record: Step | End) -> None:
        if self._writer is not None:
            self._writer.write(record)
