"""Countries and time zones for the forms: names from the IANA time zone database.

The tables come from the pinned ``tzdata`` package (``iso3166.tab`` for country names,
``zone.tab`` for each country's zones), so they change with the time zone database and need
no list of our own. A country's default zone is the first one ``zone.tab`` gives for it,
except where that is not where most people live (``zone.tab`` orders a country's zones from
east to west or north to south, not by population): those few are named below.
"""

from __future__ import annotations

import functools
from importlib import resources

from planner.crisis import ISO_COUNTRY_CODES

# Countries with several zones whose first zone.tab entry is not the most populous one.
MAIN_ZONES = {
    "AQ": "Antarctica/McMurdo",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CD": "Africa/Kinshasa",
    "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon",
    "RU": "Europe/Moscow",
    "UA": "Europe/Kyiv",
    "US": "America/New_York",
    "UZ": "Asia/Tashkent",
    "MX": "America/Mexico_City",
    "KZ": "Asia/Almaty",
    "ID": "Asia/Jakarta",
    "CL": "America/Santiago",
    "PS": "Asia/Hebron",
}


def _tab(name: str) -> list[list[str]]:
    text = resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@functools.cache
def countries() -> list[tuple[str, str]]:
    """(ISO code, English name) for every officially assigned code, sorted by name."""
    names = {row[0]: row[1] for row in _tab("iso3166.tab") if len(row) >= 2}
    return sorted(((code, names.get(code, code)) for code in ISO_COUNTRY_CODES), key=lambda c: c[1])


@functools.cache
def _zones_by_country() -> dict[str, list[str]]:
    zones: dict[str, list[str]] = {}
    for row in _tab("zone.tab"):
        if len(row) >= 3:
            zones.setdefault(row[0], []).append(row[2])
    return zones


def default_timezone(country: str) -> str | None:
    """The zone a client in ``country`` most likely lives in, or None when unknown."""
    code = (country or "").upper()
    zones = _zones_by_country().get(code, [])
    main = MAIN_ZONES.get(code)
    if main in zones:
        return main
    return zones[0] if zones else None


@functools.cache
def country_default_zones() -> dict[str, str]:
    """Every country with a default zone -> that zone (for the form's small script)."""
    return {code: zone for code, _ in countries() if (zone := default_timezone(code))}


@functools.cache
def timezone_names() -> list[str]:
    """The canonical IANA zones where people live (zone.tab), plus UTC, sorted."""
    names = {zone for zones in _zones_by_country().values() for zone in zones}
    return sorted(names | {"UTC"})
