from datetime import datetime

import pytest

from mailenv.world.clock import SimClock


def test_clock_moves_forward_only() -> None:
    clock = SimClock(datetime(2026, 3, 12, 16, 0))
    clock.advance(5)
    assert clock.now == datetime(2026, 3, 12, 16, 5)
    clock.advance_to(datetime(2026, 3, 12, 15, 0))
    assert clock.now == datetime(2026, 3, 12, 16, 5)
    with pytest.raises(ValueError):
        clock.advance(-1)
