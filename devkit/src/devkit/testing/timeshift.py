"""Run a service with its wall clock moved forward, for tests whose timers are days long.

`python -m devkit.testing.timeshift <service> serve ...` runs `python -m <service> serve ...`
after making `servicekit.clock.SystemClock` add the seconds written in the file named by
`CAMWATCH_TEST_CLOCK_FILE` (re-read when it changes). A test writes the file to make an
incident's deadline or an evidence request's due date pass without waiting for it, in every
replica at once. Only the services' own clock moves: token lifetimes (checked against
`time.time()`) and the databases' clocks do not. Test-only: no runtime package imports devkit.
"""

from __future__ import annotations

import os
import runpy
import sys
from datetime import datetime, timedelta
from pathlib import Path

from servicekit import clock

CLOCK_FILE_VARIABLE = "CAMWATCH_TEST_CLOCK_FILE"


class _Offset:
    """The offset in the file, re-read only when the file's modification time changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: int | None = None
        self._offset = timedelta(0)

    def __call__(self) -> timedelta:
        try:
            stamp = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return timedelta(0)
        if stamp != self._stamp:
            try:
                self._offset = timedelta(seconds=float(self.path.read_text().strip() or 0))
                self._stamp = stamp
            except (OSError, ValueError):
                pass  # half-written: the previous offset holds until the next read
        return self._offset


def install(path: Path) -> None:
    """Make every `SystemClock` (the services' wall clock) add the file's offset."""
    offset = _Offset(path)
    now = clock.utc_now

    def shifted_now(_self: clock.SystemClock) -> datetime:
        return now() + offset()

    clock.SystemClock.now = shifted_now  # type: ignore[method-assign,assignment]


def main(argv: list[str]) -> None:
    """Install the shift, then run the named module as `python -m` would."""
    if not argv:
        raise SystemExit("usage: python -m devkit.testing.timeshift <module> [args...]")
    install(Path(os.environ[CLOCK_FILE_VARIABLE]))
    sys.argv = argv
    runpy.run_module(argv[0], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
