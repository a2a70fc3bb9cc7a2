"""The fault suite's own arithmetic: where a restart's time went (read from a process's log),
the table's rows per fault window, and the Markdown it prints. The whole chain runs in
tests/faults."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from devkit.testing.faults import Answer, FaultWindow, render, start_up_phases

LOG = """2026-11-30 22:01:23,495 INFO uvicorn.error Started server process [1]
2026-11-30 22:01:23,659 INFO uvicorn.error Application startup complete.
2026-11-30 22:03:46,074 INFO uvicorn.error Started server process [2]
a line without a time
2026-11-30 22:03:47,968 INFO uvicorn.error Application startup complete.
"""


def test_start_up_phases_read_only_the_restart(tmp_path: Path) -> None:
    log = tmp_path / "incidents.log"
    log.write_text(LOG)

    phases = start_up_phases(log, datetime(2026, 11, 30, 22, 2, 55))

    assert phases == {"imports_s": 51.1, "lifespan_s": 1.9}


def test_start_up_phases_of_a_process_that_never_served(tmp_path: Path) -> None:
    log = tmp_path / "registry.log"
    log.write_text(LOG)

    assert start_up_phases(log, datetime(2026, 11, 30, 22, 5)) == {}


def test_render_lists_every_fault_and_the_restarts() -> None:
    row = {
        "fault": "registry",
        "writes_acked": {
            "camera_change": 3,
            "notice": 5,
            "declarations": 2,
            "gate_event": 2,
            "heartbeats": 1,
        },
        "rows_stored": {"camera_change": 3, "notice": 5, "declarations": 2, "gate_event": 2},
        "events_in_stream": 3,
        "effects": {"access": 3, "evidence": 3, "incidents": 3, "risk": 3},
        "lost": 0,
        "duplicated": 0,
        "5xx_during_fault": 4,
        "no_answer_during_fault": 1,
        "ready_after_restart_s": 2.5,
        "first_write_after_restart_s": 2.6,
        "recovered_after_restart_s": 3.0,
        "imports_s": 2.0,
        "lifespan_s": 0.3,
    }

    markdown = render([row], title="t", notes=["a note"])

    assert (
        "| registry | 3 / 5 / 2 / 2 / 1 | 3 / 5 / 2 / 2 | 3 | 3 / 3 / 3 / 3 | 0 | 0 | 4 (1) |"
        in markdown
    )
    assert "| registry | 2.0 s | 0.3 s | 2.5 s | 3.0 s |" in markdown
    assert markdown.rstrip().endswith("a note")


def test_answers_and_windows_are_plain_records() -> None:
    window = FaultWindow("gateway", began=1.0)
    answer = Answer("camera_change", 2.0, 200, "cam|m")

    assert window.killed == 0.0 and window.figures == {}
    assert answer.ref == "cam|m"
