"""Crisis resources for one client: the shipped table plus the practice's own services.

The shipped file is read and validated once per process (``shipped_resources``); a broken
file stops the lookup loudly rather than showing a client wrong numbers. Practice rows are
validated entry by entry with the same rules and left out when they fail.

Choice: a practice's own services for the client's country are shown even when the shipped
table has no entry for that country. The practice checked them against a public source and
recorded the date (the same rule as the shipped file), and leaving them out would leave the
client with nothing but "your local emergency number".
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from django.conf import settings

from planner.library import (
    ISO_COUNTRY_CODES,
    check_resource_entry,
    crisis_resources_for,
    load_crisis_resources,
)
from planner.models import Client, PracticeCrisisResource


def shipped_path() -> Path:
    return Path(settings.BASE_DIR) / "seeds" / "crisis_resources.json"


@functools.cache
def shipped_resources() -> dict:
    """The validated shipped table (cached for the life of the process)."""
    return load_crisis_resources(shipped_path())


def practice_entry(row: PracticeCrisisResource) -> dict[str, Any]:
    """A practice row in the shape of a shipped entry (so the same checks apply)."""
    return {
        "name": row.name,
        "phone": row.phone or None,
        "sms": row.sms or None,
        "text_line": row.text_line or None,
        "hours": row.hours,
        "source": row.source,
        "checked_on": row.checked_on.isoformat() if row.checked_on else "",
    }


def practice_row_problems(row: PracticeCrisisResource) -> list[str]:
    where = f"practice {row.practice_id} {row.country} resource {row.pk}"
    problems = check_resource_entry(practice_entry(row), where)
    if row.country not in ISO_COUNTRY_CODES:
        problems.insert(0, f"{where}: unknown ISO 3166-1 country code {row.country!r}")
    return problems


def _href(scheme: str, number: str | None) -> str | None:
    if not number:
        return None
    return f"{scheme}:{re.sub(r'[^0-9+]', '', number)}"


def resources_for_client(client: Client) -> dict:
    """What to show ``client``: emergency number, services, fallback text (see module doc).

    Keys: country, emergency, emergency_href, emergency_note, resources (each with
    phone_href / sms_href and ``from_practice``), fallback_text.
    """
    data = shipped_resources()
    country = (client.country or "").strip().upper() or None
    practice_id = client.therapist.practice_id if client.therapist_id else None
    rows = (
        list(PracticeCrisisResource.objects.filter(practice_id=practice_id, country=country))
        if practice_id and country
        else []
    )
    extra = [practice_entry(row) for row in rows]
    result = crisis_resources_for(data, country, extra)
    block = (data.get("countries") or {}).get(country) if country else None
    if block is None and extra:
        # Unknown to the shipped table: the practice's checked entries still count.
        seen: set[str] = set()
        for i, entry in enumerate(extra):
            key = " ".join(entry["name"].casefold().split())
            if check_resource_entry(entry, f"extra[{i}]") or key in seen:
                continue
            seen.add(key)
            result["resources"].append(entry)
    practice_names = {row.name for row in rows}
    shipped_names = {r.get("name") for r in (block or {}).get("resources", [])}
    for entry in result["resources"]:
        entry["from_practice"] = entry.get("name") in practice_names - shipped_names
        entry["phone_href"] = _href("tel", entry.get("phone"))
        entry["sms_href"] = _href("sms", entry.get("sms"))
    result["emergency_note"] = (block or {}).get("emergency_note")
    result["emergency_href"] = _href("tel", result["emergency"])
    return result
