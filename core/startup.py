"""Fail at start-up with one readable line instead of a traceback."""

from __future__ import annotations

import sys


def fail(message: str) -> None:
    sys.stderr.write(f"Between: {message}\n")
    raise SystemExit(2)
