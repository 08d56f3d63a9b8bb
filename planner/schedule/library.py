"""Loading and validating the shipped prompt library (``seeds/prompts.json``).

Pure on purpose: no Django, no network, no clock. Every check collects *all* problems
and reports them one line each, so a broken seed file can be fixed in one pass.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from planner.schedule.text import FACTS, PLACEHOLDERS, TOPICS, quoting_problems
from planner.schedule.types import Category, Kind, TemplateSpec

MAX_TEXT_LENGTH = 280

# Categories that only make sense for one kind of break, and those that never do for some.
ENDING_ONLY_CATEGORIES = frozenset(
    {
        Category.TAPER,
        Category.FOLLOW_UP,
        Category.RELAPSE_PREVENTION,
        Category.BOOSTER,
        Category.ACKNOWLEDGEMENT,
        Category.CLOSING,
    }
)
UNPLANNED_ONLY_CATEGORIES = frozenset(
    {Category.UNPLANNED_NOTICE, Category.RETURN_BOOKED, Category.STILL_AWAY}
)
NOT_FOR_ENDING_CATEGORIES = frozenset({Category.COUNTDOWN, Category.RETURN})

_REQUIRED_TEMPLATE_KEYS = ("id", "category", "kinds", "text")
_OPTIONAL_TEMPLATE_KEYS = ("requires", "topics", "lead")
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
        if key not in _REQUIRED_TEMPLATE_KEYS + _OPTIONAL_TEMPLATE_KEYS:
            problems.append(f"{label}: unknown key '{key}'")
    for key, known in (("requires", FACTS), ("topics", TOPICS)):
        values = entry.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            problems.append(f"{label}: '{key}' must be a list of names")
            continue
        for value in values:
            if value not in known:
                problems.append(f"{label}: unknown {key[:-1]} {value!r} in '{key}'")
    if not isinstance(entry.get("lead", False), bool):
        problems.append(f"{label}: 'lead' must be true or false")

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
            problems.extend(_wording_problems(label, text))
    return problems


def _wording_problems(label: str, text: str) -> list[str]:
    """The mechanical rules of the texts: no exclamation marks, the client's words quoted."""
    problems = [f"{label}: no exclamation marks"] if "!" in text else []
    spec = TemplateSpec(id=label, category=Category.COPING, text=text)
    problems += [p.replace(f"template {label}: ", f"{label}: ") for p in quoting_problems(spec)]
    return problems


def _kind_fit_problems(label: str, category: Category, kinds: set[str]) -> list[str]:
    if category in ENDING_ONLY_CATEGORIES and kinds - {Kind.ENDING.value}:
        return [f"{label}: category {category.value!r} is only for kind 'ending'"]
    if category in UNPLANNED_ONLY_CATEGORIES and kinds - {Kind.UNPLANNED.value}:
        return [f"{label}: category {category.value!r} is only for kind 'unplanned'"]
    if category in NOT_FOR_ENDING_CATEGORIES and Kind.ENDING.value in kinds:
        return [f"{label}: category {category.value!r} does not apply to kind 'ending'"]
    return []


def read_json(path: str | Path) -> Any:
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
    data = read_json(path)
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
            requires=frozenset(entry.get("requires", ())),
            topics=frozenset(entry.get("topics", ())),
            lead=bool(entry.get("lead", False)),
        )
        for entry in data
    ]


# --------------------------------------------------------------------- crisis resources
