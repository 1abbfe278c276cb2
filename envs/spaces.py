"""The text spaces of mailenv's envs, safe in Gymnasium's AsyncVectorEnv.

Gymnasium 1.x reads a `Text` space's shared memory into a tuple of strings once, when an
AsyncVectorEnv is built, and returns that same tuple at every step: with
`shared_memory=True` (its default) text observations go silently stale. `MailText`
registers its own shared-memory functions: each observation is stored as code points,
and reads return a view that decodes the buffer as it is now, whenever it is indexed,
iterated or copied. So both async modes return the current text.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any, overload

import numpy as np
from gymnasium.spaces import Text
from gymnasium.vector.utils import (
    create_shared_memory,
    read_from_shared_memory,
    write_to_shared_memory,
)

_END = -1


class MailText(Text):
    """A Text space whose observations survive shared memory."""


class SharedTexts(Sequence[str]):
    """The observations of n envs, decoded from the shared buffer on every access."""

    def __init__(self, buffer: Any, n: int, length: int) -> None:
        self._buffer, self._n, self._length = buffer, n, length

    def _row(self, i: int) -> str:
        codes = np.frombuffer(self._buffer.get_obj(), dtype=np.int32)[
            i * self._length : (i + 1) * self._length
        ]
        ends = np.flatnonzero(codes == _END)
        used = codes[: ends[0]] if ends.size else codes
        return used.astype("<u4").tobytes().decode("utf-32-le")

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...
    def __getitem__(self, index: int | slice) -> str | tuple[str, ...]:
        if isinstance(index, slice):
            return tuple(self._row(i) for i in range(self._n)[index])
        if not -self._n <= index < self._n:
            raise IndexError(index)
        return self._row(index % self._n)

    def __iter__(self) -> Iterator[str]:
        return (self._row(i) for i in range(self._n))

    def __eq__(self, other: object) -> bool:
        return tuple(self) == (tuple(other) if isinstance(other, Sequence) else other)

    __hash__ = None  # type: ignore[assignment]

    def __deepcopy__(self, memo: dict[int, Any]) -> tuple[str, ...]:
        return tuple(self)

    def __repr__(self) -> str:
        return repr(tuple(self))


@create_shared_memory.register(MailText)
def _create(space: MailText, n: int = 1, ctx: ModuleType = mp) -> Any:
    return ctx.Array(np.dtype(np.int32).char, n * (space.max_length + 1))


@write_to_shared_memory.register(MailText)
def _write(space: MailText, index: int, value: str, shared_memory: Any) -> None:
    size = space.max_length + 1
    row = np.frombuffer(shared_memory.get_obj(), dtype=np.int32)[index * size : (index + 1) * size]
    codes = np.frombuffer(value[: space.max_length].encode("utf-32-le"), dtype="<u4")
    row[: codes.size] = codes
    row[codes.size] = _END


@read_from_shared_memory.register(MailText)
def _read(space: MailText, shared_memory: Any, n: int = 1) -> SharedTexts:
    return SharedTexts(shared_memory, n, space.max_length + 1)
