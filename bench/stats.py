"""Medians, spreads and percentiles of repeated measurements."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    """The median of repeated measurements, with their min and max."""

    median: float
    low: float
    high: float
    count: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        """Summarise ``values`` (at least one)."""
        if not values:
            raise ValueError("no measurements to summarise")
        return cls(statistics.median(values), min(values), max(values), len(values))


def percentile(values: Sequence[float], rank: int) -> float:
    """The ``rank``-th percentile (1-99) of ``values``, interpolated between samples."""
    if not 1 <= rank <= 99:
        raise ValueError(f"percentile rank must be 1-99, got {rank}")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[rank - 1]
