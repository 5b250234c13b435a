"""The Markdown table ``make bench`` prints: one row per measure, with its baseline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.stats import Summary

Formatter = Callable[[float], str]


def fixed(digits: int) -> Formatter:
    """A formatter with ``digits`` decimals."""
    return lambda value: f"{value:,.{digits}f}"


@dataclass(frozen=True)
class Row:
    """One measure: this project against its baseline, and the target it must meet."""

    measure: str
    project: Summary | None
    baseline: Summary | None
    formatter: Formatter
    #: How this project compares with the baseline (``"142x"``, ``"+2.1 KiB"``), or "".
    comparison: str = ""
    target: str = ""
    #: True/False when there is a target, None otherwise.
    met: bool | None = None


def cell(summary: Summary | None, formatter: Formatter) -> str:
    """``median (min-max)``, or the value alone when every repeat agreed."""
    if summary is None:
        return "-"
    median = formatter(summary.median)
    low, high = formatter(summary.low), formatter(summary.high)
    if low == high:
        return median
    return f"{median} ({low}-{high})"


def ratio(project: Summary, baseline: Summary) -> str:
    """Medians' ratio, as ``12.3x``."""
    if baseline.median == 0:
        return "-"
    value = project.median / baseline.median
    return f"{value:,.1f}x" if value >= 10 else f"{value:.2f}x"


def render(rows: Sequence[Row], baseline_title: str) -> str:
    """The Markdown table."""
    lines = [
        f"| measure | this project | {baseline_title} | comparison | target | met |",
        "|---|---:|---:|---:|---|---|",
    ]
    for row in rows:
        met = "" if row.met is None else ("yes" if row.met else "**no**")
        lines.append(
            f"| {row.measure} | {cell(row.project, row.formatter)} "
            f"| {cell(row.baseline, row.formatter)} | {row.comparison or '-'} "
            f"| {row.target or '-'} | {met or '-'} |"
        )
    return "\n".join(lines)
