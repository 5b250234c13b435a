"""Summary lines that tests add to the end of a run (the reliability tests' counts).

A line travels in its test's report (``user_properties``), which pytest-xdist's
workers send to the process that prints the summary; tests/conftest.py prints
them, under one section per title.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

#: The property name of a summary line: a prefix, then the section's title.
_PREFIX = "summary: "


def add(node: pytest.Item, title: str, line: str) -> None:
    """Print ``line`` under ``title`` at the end of the run."""
    node.user_properties.append((_PREFIX + title, line))


def print_sections(terminalreporter: pytest.TerminalReporter) -> None:
    """Print every summary line of the run's tests, sorted, in a section per title."""
    sections: dict[str, list[str]] = defaultdict(list)
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "call":
                continue
            for name, value in getattr(report, "user_properties", ()):
                if isinstance(name, str) and name.startswith(_PREFIX):
                    sections[name.removeprefix(_PREFIX)].append(str(value))
    for title, lines in sorted(sections.items()):
        terminalreporter.section(title)
        for line in sorted(lines):
            terminalreporter.write_line(line)
