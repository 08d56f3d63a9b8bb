"""Loading and validating the seed prompt library and the crisis-resource table.

Pure on purpose: no Django, no network, no clock. Every check collects *all* problems
and reports them one line each, so a broken seed file can be fixed in one pass.
"""

from __future__ import annotations

import copy
import json
import re
import string
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from planner.scheduling import PLACEHOLDERS, Category, Kind, TemplateSpec

__all__ = [
    "ENDING_ONLY_CATEGORIES",
    "MAX_TEXT_LENGTH",
    "LibraryError",
    "check_crisis_resources",
    "check_resource_entry",
    "crisis_resources_for",
    "load_crisis_resources",
    "load_prompt_library",
    "template_problems",
]

MAX_TEXT_LENGTH = 280

# Categories that only make sense for one kind of break, and those that never do for some.
ENDING_ONLY_CATEGORIES = frozenset(
    {Category.TAPER, Category.FOLLOW_UP, Category.RELAPSE_PREVENTION, Category.BOOSTER}
)
UNPLANNED_ONLY_CATEGORIES = frozenset({Category.UNPLANNED_NOTICE})
NOT_FOR_ENDING_CATEGORIES = frozenset({Category.COUNTDOWN, Category.RETURN})

_REQUIRED_TEMPLATE_KEYS = ("id", "category", "kinds", "text")
_ID_RE = re.compile(r"^[a-z]+(?:-[a-z]+)*-\d{2,3}$")
_CATEGORY_VALUES = {c.value for c in Category}
_KIND_VALUES = {k.value for k in Kind}


class LibraryError(ValueError):
    """A seed file has problems; ``problems`` holds one readable line per problem."""

    def __init__(self, problems: Iterable[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# --------------------------------------------------------------------------- prompts


def _placeholder_problems(label: str, text: str) -> list[str]:
    """Problems with the ``{...}`` fields of one template text."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        return [f"{label}: malformed braces in text ({exc})"]
    problems = []
    for _literal, field_name, format_spec, conversion in parsed:
        if field_name is None:
            continue
        if field_name == "":
            problems.append(f"{label}: empty placeholder {{}}")
            continue
        if field_name not in PLACEHOLDERS:
            problems.append(f"{label}: unknown placeholder {{{field_name}}}")
            continue
        if format_spec or conversion:
            problems.append(
                f"{label}: placeholder {{{field_name}}} must not have a format spec or conversion"
            )
    return problems


def template_problems(entry: Any, index: int) -> list[str]:
    """Every problem with one raw template entry (``index`` is its position, from 0)."""
    if not isinstance(entry, Mapping):
        return [f"entry {index}: expected an object, got {type(entry).__name__}"]
    raw_id = entry.get("id")
    label = raw_id if isinstance(raw_id, str) and raw_id else f"entry {index}"
    problems = []
    for key in _REQUIRED_TEMPLATE_KEYS:
        if key not in entry:
            problems.append(f"{label}: missing key '{key}'")
    for key in entry:
        if key not in _REQUIRED_TEMPLATE_KEYS:
            problems.append(f"{label}: unknown key '{key}'")

    category = None
    if "id" in entry and (not isinstance(raw_id, str) or not _ID_RE.match(raw_id)):
        problems.append(f"{label}: id {raw_id!r} is not of the form <category-with-dashes>-NN")
    if "category" in entry:
        raw_cat = entry["category"]
        if raw_cat in _CATEGORY_VALUES:
            category = Category(raw_cat)
            expected_prefix = category.value.replace("_", "-") + "-"
            if isinstance(raw_id, str) and not raw_id.startswith(expected_prefix):
                problems.append(f"{label}: id should start with '{expected_prefix}'")
        else:
            problems.append(f"{label}: unknown category {raw_cat!r}")

    if "kinds" in entry:
        kinds = entry["kinds"]
        if not isinstance(kinds, list) or not kinds:
            problems.append(f"{label}: 'kinds' must be a non-empty list")
        else:
            seen: set[str] = set()
            for kind in kinds:
                if kind not in _KIND_VALUES:
                    problems.append(f"{label}: unknown kind {kind!r}")
                elif kind in seen:
                    problems.append(f"{label}: kind {kind!r} listed twice")
                seen.add(kind)
            if category is not None:
                problems.extend(_kind_fit_problems(label, category, seen & _KIND_VALUES))

    if "text" in entry:
        text = entry["text"]
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{label}: 'text' must be a non-empty string")
        else:
            if len(text) > MAX_TEXT_LENGTH:
                problems.append(
                    f"{label}: text is {len(text)} characters (at most {MAX_TEXT_LENGTH})"
                )
            if text != text.strip():
                problems.append(f"{label}: text has leading or trailing whitespace")
            problems.extend(_placeholder_problems(label, text))
    return problems


def _kind_fit_problems(label: str, category: Category, kinds: set[str]) -> list[str]:
    if category in ENDING_ONLY_CATEGORIES and kinds - {Kind.ENDING.value}:
        return [f"{label}: category {category.value!r} is only for kind 'ending'"]
    if category in UNPLANNED_ONLY_CATEGORIES and kinds - {Kind.UNPLANNED.value}:
        return [f"{label}: category {category.value!r} is only for kind 'unplanned'"]
    if category in NOT_FOR_ENDING_CATEGORIES and Kind.ENDING.value in kinds:
        return [f"{label}: category {category.value!r} does not apply to kind 'ending'"]
    return []


def _read_json(path: str | Path) -> Any:
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LibraryError([f"{path}: cannot read ({exc.strerror or exc})"]) from exc
    except json.JSONDecodeError as exc:
        raise LibraryError([f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}"]) from exc


def load_prompt_library(path: str | Path) -> list[TemplateSpec]:
    """Read and validate a prompt library JSON file.

    Raises ``LibraryError`` listing every problem found (one line each, naming the
    template id, or ``entry N`` when the id itself is missing).
    """
    data = _read_json(path)
    if not isinstance(data, list):
        raise LibraryError([f"{path}: expected a JSON list of templates"])
    problems: list[str] = []
    seen_ids: dict[str, int] = {}
    for index, entry in enumerate(data):
        problems.extend(template_problems(entry, index))
        if isinstance(entry, Mapping) and isinstance(entry.get("id"), str):
            tid = entry["id"]
            if tid in seen_ids:
                problems.append(f"{tid}: duplicate id (entries {seen_ids[tid]} and {index})")
            else:
                seen_ids[tid] = index
    if problems:
        raise LibraryError(problems)
    return [
        TemplateSpec(
            id=entry["id"],
            category=Category(entry["category"]),
            text=entry["text"],
            kinds=frozenset(Kind(k) for k in entry["kinds"]),
        )
        for entry in data
    ]


# --------------------------------------------------------------------- crisis resources

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
LOCAL_NUMBER_RE = re.compile(r"^[0-9][0-9 ]{1,14}[0-9]$")
_COUNTRY_CODE_RE = re.compile(r"^[A-Z]{2}$")
_RESOURCE_KEYS = frozenset(
    {"name", "phone", "sms", "text_line", "hours", "source", "checked_on", "languages", "note"}
)
_COUNTRY_KEYS = frozenset({"emergency", "emergency_note", "resources"})
FALLBACK_TEXT = "Call your local emergency number."


def _number_ok(value: str) -> bool:
    """E.164, or a local short code / local format as dialled (digits and spaces)."""
    if E164_RE.match(value):
        return True
    trimmed = value.strip()
    if not LOCAL_NUMBER_RE.match(trimmed) or "  " in trimmed:
        return False
    return 3 <= sum(ch.isdigit() for ch in trimmed) <= 15


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
    if _nonempty_str(source) and not re.match(r"^https://[^\s/]+\.[^\s/]+(/\S*)?$", source):
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
    if not isinstance(value, str) or not _number_ok(value):
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
            if _nonempty_str(name):
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
    data = _read_json(path)
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
