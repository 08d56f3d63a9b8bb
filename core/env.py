"""Small typed helpers for reading settings from the environment (12-factor)."""

from __future__ import annotations

import os


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"Configuration error: {name} must be a whole number, got {value!r}.")


def envstr(name: str, default: str = "") -> str:
    value = os.environ.get(name)
    return default if value is None else value


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in envstr(name, default).split(",") if item.strip()]
