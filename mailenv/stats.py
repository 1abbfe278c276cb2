"""Proportions with 95% intervals, the one way every rate in mailenv is reported.

Wilson's score interval for one rate; Newcombe's hybrid score interval (from the two
Wilson intervals) for a difference, with a two-sided p-value from the pooled
two-proportion z-test.
"""

from __future__ import annotations

import math

from mailenv.models import Record

Z95 = 1.959963984540054


def wilson(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for a proportion (0, 1 when n is 0).

    `n` may be an effective number of rows, fractional, with `successes` in proportion.
    """
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # At 0 or n the bound is the rate itself, exactly (rounding left 5.6e-17 at 0).
    low = 0.0 if p <= 0 else max(0.0, centre - half)
    high = 1.0 if p >= 1 else min(1.0, centre + half)
    return (low, high)


def newcombe(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float, float]:
    """Difference p1 - p2 with Newcombe's hybrid score 95% interval."""
    p1, p2 = (x1 / n1 if n1 else 0.0), (x2 / n2 if n2 else 0.0)
    l1, u1 = wilson(x1, n1)
    l2, u2 = wilson(x2, n2)
    d = p1 - p2
    return (
        d,
        d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def two_proportion_p(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test for x1/n1 vs x2/n2."""
    if not n1 or not n2:
        return 1.0
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (x1 / n1 - x2 / n2) / se
    return math.erfc(abs(z) / math.sqrt(2))


class Rate(Record):
    """A proportion, hits of n, with its 95% interval [low, high]."""

    hits: int
    n: int
    rate: float
    low: float
    high: float

    @classmethod
    def wilson(cls, hits: int, n: int) -> Rate:
        """The rate of `hits` in `n` with Wilson's interval."""
        low, high = wilson(hits, n)
        return cls(hits=hits, n=n, rate=hits / n if n else 0.0, low=low, high=high)

    def text(self) -> str:
        """The rate as "0.80 [0.49, 0.94] (8/10)", or a dash when nothing was counted."""
        if not self.n:
            return "—"
        return f"{self.rate:.2f} [{self.low:.2f}, {self.high:.2f}] ({self.hits}/{self.n})"

    def percent(self) -> str:
        """The rate and interval in percent, e.g. "80% [49%, 94%]", or a dash when n is 0."""
        if not self.n:
            return "—"
        return f"{self.rate:.0%} [{self.low:.0%}, {self.high:.0%}]"
