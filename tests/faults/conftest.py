"""The fault and load suite prints its table at the end of the run (CI runs pytest without
`-s`): each test adds its Markdown table to `FAULT_TABLES`, written to var/test-logs too."""

from __future__ import annotations

import pytest

FAULT_TABLES = pytest.StashKey[list[str]]()


@pytest.fixture
def fault_tables(request: pytest.FixtureRequest) -> list[str]:
    """Where a test puts its table for the terminal summary."""
    return request.config.stash.setdefault(FAULT_TABLES, [])


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    tables = config.stash.get(FAULT_TABLES, [])
    if tables:
        terminalreporter.section("fault and load suite: counts")
        for table in tables:
            terminalreporter.write(table + "\n")
