"""Crisis resources: the checks of the shipped table, and the lookup for one client.

The lookup (``resources_for_client``) joins the shipped table and the practice's own
services. The shipped file is read and validated once per process (``shipped_resources``); a broken
file stops the lookup loudly rather than showing a client wrong numbers. Practice rows are
validated entry by entry with the same rules and left out when they fail.

Choice: a practice's own services for the client's country are shown even when the shipped
table has no entry for that country. The practice checked them against a public source and
recorded the date (the same rule as the shipped file), and leaving them out would leave the
client with nothing but "your local emergency number".
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings

from planner.models import Client, PracticeCrisisResource
from planner.schedule.library import LibraryError, read_json


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
    # Every emergency number of the country, the one for a medical emergency first.
    numbers = []
    if result["emergency"]:
        service = (block or {}).get("emergency_service") or "Emergency"
        numbers.append({"number": result["emergency"], "service": service})
    numbers += [dict(o) for o in (block or {}).get("other_emergency", [])]
    for item in numbers:
        item["href"] = _href("tel", item["number"])
    result["emergency_numbers"] = numbers
    result["international_guidance"] = INTERNATIONAL_GUIDANCE if not result["emergency"] else ""
    return result


# --- The crisis-resource table: checks (pure, so a broken file can be reported in full) ---

# ISO 3166-1 alpha-2 officially assigned codes.
_ISO_CODES_TEXT = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
    BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ
    DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP
    GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG
    KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML
    MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE
    PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL
    SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM
    US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
"""


ISO_COUNTRY_CODES = frozenset(_ISO_CODES_TEXT.split())


E164_RE = re.compile(r"^\+[1-9]\d{6,14}$")


LOCAL_NUMBER_RE = re.compile(r"^[0-9][0-9 ]{0,14}[0-9]$")  # short codes too: 15 (SAMU)


_COUNTRY_CODE_RE = re.compile(r"^[A-Z]{2}$")


_RESOURCE_KEYS = frozenset(
    {"name", "phone", "sms", "text_line", "hours", "source", "checked_on", "languages", "note"}
)


_COUNTRY_KEYS = frozenset(
    {"emergency", "emergency_service", "emergency_note", "other_emergency", "resources"}
)


FALLBACK_TEXT = "Call your local emergency number."
# Shown when the client's country is not known (never another country's lines).
INTERNATIONAL_GUIDANCE = (
    "If you are in danger right now, call your local emergency number. Your therapist or "
    "practice can tell you which crisis lines serve where you live."
)


def _number_ok(value: str, min_digits: int = 3) -> bool:
    """E.164, or a local short code / local format as dialled (digits and spaces)."""
    if E164_RE.match(value):
        return True
    trimmed = value.strip()
    if not LOCAL_NUMBER_RE.match(trimmed) or "  " in trimmed:
        return False
    return min_digits <= sum(ch.isdigit() for ch in trimmed) <= 15


def _number_key(value: str) -> str:
    return re.sub(r"\D", "", value)


def _is_iso_date(value: Any) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def check_resource_entry(entry: Any, where: str) -> list[str]:
    """Problems with one resource entry; ``where`` labels it, e.g. ``"GB resources[0]"``."""
    if not isinstance(entry, Mapping):
        return [f"{where}: expected an object"]
    name = entry.get("name")
    label = f"{where} ({name})" if _nonempty_str(name) else where
    problems = []
    for key in ("name", "hours", "source", "checked_on"):
        if not _nonempty_str(entry.get(key)):
            problems.append(f"{label}: missing required field '{key}'")
    for key in entry:
        if key not in _RESOURCE_KEYS:
            problems.append(f"{label}: unknown field '{key}'")
    phone, sms = entry.get("phone"), entry.get("sms")
    if phone is None and sms is None:
        problems.append(f"{label}: needs at least one of 'phone' or 'sms'")
    for key, value in (("phone", phone), ("sms", sms)):
        if value is None:
            continue
        if not isinstance(value, str) or not _number_ok(value):
            problems.append(
                f"{label}: {key} {value!r} is neither E.164 (+441234567890) "
                "nor a local number as dialled (digits and spaces)"
            )
    text_line = entry.get("text_line")
    if text_line is not None:
        if not _nonempty_str(text_line):
            problems.append(f"{label}: 'text_line' must be a non-empty string or null")
        elif sms is None:
            problems.append(f"{label}: 'text_line' given without an 'sms' number")
    source = entry.get("source")
    if (
        isinstance(source, str)
        and source.strip()
        and not re.match(r"^https://[^\s/]+\.[^\s/]+(/\S*)?$", source)
    ):
        problems.append(f"{label}: source {source!r} is not an https URL")
    checked_on = entry.get("checked_on")
    if _nonempty_str(checked_on) and not _is_iso_date(checked_on):
        problems.append(f"{label}: checked_on {checked_on!r} is not an ISO date (YYYY-MM-DD)")
    return problems


def _emergency_problems(label: str, block: Mapping[str, Any], *, required: bool) -> list[str]:
    if "emergency" not in block:
        return [f"{label}: missing 'emergency'"]
    value = block["emergency"]
    if value is None:
        return [f"{label}: 'emergency' is empty"] if required else []
    if not isinstance(value, str) or not _number_ok(value, min_digits=2):
        return [f"{label}: emergency number {value!r} has a bad format"]
    return []


def check_crisis_resources(data: Any) -> list[str]:
    """Every problem with a crisis-resource table, one readable line each ([] when clean)."""
    if not isinstance(data, Mapping):
        return ["crisis resources: expected a JSON object"]
    problems: list[str] = []
    countries = data.get("countries")
    if not isinstance(countries, Mapping):
        problems.append("crisis resources: missing 'countries' object")
        countries = {}
    default = data.get("default")
    if not isinstance(default, Mapping):
        problems.append("crisis resources: missing 'default' object")
    else:
        problems.extend(_emergency_problems("default", default, required=False))

    for code, block in countries.items():
        if not isinstance(code, str) or not _COUNTRY_CODE_RE.match(code):
            problems.append(f"{code!r}: invalid country code (expected two upper-case letters)")
        elif code not in ISO_COUNTRY_CODES:
            problems.append(f"{code}: unknown ISO 3166-1 country code")
        if not isinstance(block, Mapping):
            problems.append(f"{code}: expected an object")
            continue
        problems.extend(_emergency_problems(str(code), block, required=True))
        others = block.get("other_emergency", [])
        if not isinstance(others, list):
            problems.append(f"{code}: 'other_emergency' must be a list")
            others = []
        for j, other in enumerate(others):
            number = other.get("number") if isinstance(other, Mapping) else None
            if not isinstance(number, str) or not _number_ok(number, min_digits=2):
                problems.append(f"{code} other_emergency[{j}]: bad number {number!r}")
            if not isinstance(other, Mapping) or not _nonempty_str(other.get("service")):
                problems.append(f"{code} other_emergency[{j}]: missing 'service'")
        note = block.get("emergency_note")
        if note is not None and not _nonempty_str(note):
            problems.append(f"{code}: 'emergency_note' must be a non-empty string or absent")
        for key in block:
            if key not in _COUNTRY_KEYS:
                problems.append(f"{code}: unknown field '{key}'")
        resources = block.get("resources", [])
        if not isinstance(resources, list):
            problems.append(f"{code}: 'resources' must be a list")
            continue
        seen_names: dict[str, int] = {}
        seen_numbers: dict[str, int] = {}
        for i, entry in enumerate(resources):
            where = f"{code} resources[{i}]"
            problems.extend(check_resource_entry(entry, where))
            if not isinstance(entry, Mapping):
                continue
            name = entry.get("name")
            if isinstance(name, str) and name.strip():
                where = f"{where} ({name})"
                key = " ".join(name.casefold().split())
                if key in seen_names:
                    problems.append(
                        f"{where}: duplicate name {name!r} (same as resources[{seen_names[key]}])"
                    )
                else:
                    seen_names[key] = i
            numbers = {
                _number_key(v) for v in (entry.get("phone"), entry.get("sms")) if isinstance(v, str)
            }
            for number in sorted(n for n in numbers if n):
                if number in seen_numbers:
                    problems.append(
                        f"{where}: duplicate number {number} "
                        f"(same as resources[{seen_numbers[number]}])"
                    )
                else:
                    seen_numbers[number] = i
    return problems


def load_crisis_resources(path: str | Path) -> dict:
    """Read and validate the crisis-resource table; raises ``LibraryError`` on any problem."""
    data = read_json(path)
    problems = check_crisis_resources(data)
    if problems:
        raise LibraryError(problems)
    return data


def crisis_resources_for(
    data: Mapping[str, Any], country: str | None, extra: Iterable[Mapping[str, Any]] = ()
) -> dict:
    """The crisis information to show a client in ``country`` (ISO alpha-2, any case).

    Known country: its emergency number and its services, plus ``extra`` (practice-provided
    entries; invalid ones, and ones repeating a listed name or number, are left out).
    Unknown or missing country: no services, ``emergency`` None and the generic fallback text.
    """
    code = country.strip().upper() if isinstance(country, str) and country.strip() else None
    countries = data.get("countries") or {}
    block = countries.get(code) if code else None
    if not isinstance(block, Mapping):
        return {"country": code, "emergency": None, "resources": [], "fallback_text": FALLBACK_TEXT}

    emergency = block.get("emergency") or None
    resources = [copy.deepcopy(dict(r)) for r in block.get("resources") or []]
    names = {" ".join(str(r.get("name", "")).casefold().split()) for r in resources}
    numbers = {_number_key(v) for r in resources for v in (r.get("phone"), r.get("sms")) if v} - {
        ""
    }
    for i, entry in enumerate(extra):
        if check_resource_entry(entry, f"extra[{i}]"):
            continue
        name = " ".join(str(entry.get("name", "")).casefold().split())
        entry_numbers = {_number_key(v) for v in (entry.get("phone"), entry.get("sms")) if v}
        if name in names or entry_numbers & numbers:
            continue
        names.add(name)
        numbers |= entry_numbers
        resources.append(copy.deepcopy(dict(entry)))
    if emergency:
        fallback = f"If you are in danger right now, call {emergency}."
    else:
        fallback = FALLBACK_TEXT
    return {
        "country": code,
        "emergency": emergency,
        "resources": resources,
        "fallback_text": fallback,
    }
