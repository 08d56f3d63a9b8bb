"""Template text: placeholders, the facts a text needs, and rendering with the client's words.

The rule the texts follow: a message never states what is not known. A placeholder that
stands for a fact (a covering clinician, a booked return, a booster session) makes its
template need that fact, and a template is used only when the break has it; there is no
fallback phrase that would pretend otherwise ("the covering clinician", "the return date").
Only two placeholders have a fallback, and neither asserts anything: the first name (left
out) and the therapist's name ("your therapist").

Pure: no Django, no clock.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Mapping

from planner.schedule.types import TemplateSpec

# Placeholders filled from the client's own lists; they are quoted, never merged into a
# sentence: From your plan: "{strategy}".
# An ending's blueprint: what I learned, my early signs, what I do then; {support} is an item
# of the client's support map: From your map: "{support}".
PERSONAL_PLACEHOLDERS = frozenset(
    {"strategy", "contact_name", "hope", "distraction", "learned", "early_sign", "early_step"}
    | {"support"}
)

# Placeholders that stand for a fact of the break, and the fact each needs.
FACT_PLACEHOLDERS: Mapping[str, str] = {
    "return_date": "return_booked",
    "covering_name": "cover",
    "practice_name": "practice",
    "booster_date": "booster_booked",
    "sessions_plan": "sessions_plan",
    **{name: name for name in PERSONAL_PLACEHOLDERS},
}

# Always available: the engine counts the messages itself, and names the local day a map
# item is there on ({support_day}: "Thursday", "Thursday evening"), set only with {support}.
ENGINE_PLACEHOLDERS = frozenset({"message_count", "support_day"})

# A missing value here never breaks a message, and its stand-in asserts nothing.
FALLBACKS: Mapping[str, str] = {
    "first_name": "",
    "therapist_name": "your therapist",
}

PLACEHOLDERS = frozenset(FACT_PLACEHOLDERS) | ENGINE_PLACEHOLDERS | frozenset(FALLBACKS)

# Every fact a template may need (``requires`` or through a placeholder). Each comes with
# its opposite where a text may speak of the absence of the fact.
FACTS = frozenset(
    {
        "cover",
        "no_cover",
        "return_booked",
        "return_open",  # no return session booked (an open-ended absence)
        "practice",
        "no_practice",
        "booster_booked",
        "sessions_plan",
        *PERSONAL_PLACEHOLDERS,
    }
)

TOPICS = frozenset({"body", "food"})


@functools.lru_cache(maxsize=8192)
def template_placeholders(text: str) -> frozenset[str]:
    """The placeholder names used in ``text``; raises ValueError on malformed braces.

    Remembered per text: a caseload's plans ask it of the same templates many thousand
    times."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def template_needs(spec: TemplateSpec) -> set[str]:
    """The facts a template states: its ``requires`` and those its placeholders stand for."""
    try:
        names = template_placeholders(spec.text)
    except ValueError:
        names = frozenset()
    return set(spec.requires) | {FACT_PLACEHOLDERS[n] for n in names if n in FACT_PLACEHOLDERS}


def validate_template(spec: TemplateSpec) -> list[str]:
    """Problems with one template, as messages naming the template and the placeholder."""
    try:
        parts = list(string.Formatter().parse(spec.text))
    except ValueError as exc:
        return [f"template {spec.id}: malformed braces ({exc})"]
    errors = [] if spec.text.strip() else [f"template {spec.id}: empty text"]
    for _, name, format_spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            errors.append(f"template {spec.id}: unknown placeholder {{{name}}}")
        elif format_spec or conversion:
            errors.append(
                f"template {spec.id}: placeholder {{{name}}} must not have a format or conversion"
            )
    for fact in sorted(set(spec.requires) - FACTS):
        errors.append(f"template {spec.id}: unknown fact {fact!r} in requires")
    for topic in sorted(set(spec.topics) - TOPICS):
        errors.append(f"template {spec.id}: unknown topic {topic!r}")
    return errors


_QUOTED = re.compile(r'from your (?:plan|map)[^:"]*: "\{(\w+)\}"', re.IGNORECASE)


def quoting_problems(spec: TemplateSpec) -> list[str]:
    """The client's words are quoted as they wrote them, never merged into a sentence."""
    try:
        names = template_placeholders(spec.text) & PERSONAL_PLACEHOLDERS
    except ValueError:
        return []
    quoted = _QUOTED.findall(spec.text)
    problems = []
    for name in sorted(names):
        if spec.text.count("{" + name + "}") != quoted.count(name):
            problems.append(
                f'template {spec.id}: {{{name}}} must be quoted: From your plan: "{{{name}}}"'
                f' (or From your map: "{{{name}}}")'
            )
    if names and re.search(r"\b(helps?|helped|works?|worked)\b", spec.text, re.IGNORECASE):
        problems.append(f"template {spec.id}: never claims that the client's own words helped")
    return problems


def render(text: str, context: Mapping[str, str]) -> str:
    """Fill the placeholders of ``text``; never raises, whatever is missing.

    The engine only picks a template whose facts exist, so a fact placeholder is always
    filled; should one be empty anyway, it is left empty rather than invented.
    """
    parts = _parsed(text)
    if parts is None:
        return text  # a malformed template is shown as written rather than failing a send
    out: list[str] = []
    blanked = False
    for literal, name in parts:
        out.append(literal)
        if name is None:
            continue
        value = (context.get(name) or "").strip()
        if not value:
            value = FALLBACKS.get(name, "")
            # A stand-in that opens a sentence opens it with a capital: "Your therapist is".
            before = "".join(out).rstrip(" ")
            if value and (not before or before[-1] in ".?"):
                value = value[0].upper() + value[1:]
        blanked = blanked or not value
        out.append(value)
    result = "".join(out)
    return _tidy(result) if blanked else result


@functools.lru_cache(maxsize=8192)
def _parsed(text: str) -> tuple[tuple[str, str | None], ...] | None:
    """``text`` as (literal, placeholder) pairs, None when its braces are malformed; parsed
    once per template text, not once per message (a caseload renders thousands)."""
    try:
        return tuple((literal, name) for literal, name, _, _ in string.Formatter().parse(text))
    except ValueError:
        return None


def _tidy(text: str) -> str:
    """Clean up after an empty value: "Hello , take a breath" -> "Hello, take a breath"."""
    text = re.sub(r"[ \t]+([,.!?;:])", r"\1", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    stripped = re.sub(r"^[\s,;:]+", "", text)
    if stripped != text and stripped:
        stripped = stripped[0].upper() + stripped[1:]
    return stripped.strip()


MAX_QUOTED_LENGTH = 80


def quoted_words(value: str) -> str:
    """The client's own words, safe inside "...": one line, no double quotes of their own
    (they would close the quotation early), no control characters, at most 80 characters.
    Braces need nothing: a value is never parsed as a template."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(value))
    text = text.replace('"', "'").replace("\u201c", "'").replace("\u201d", "'")
    text = " ".join(text.split())
    if len(text) > MAX_QUOTED_LENGTH:
        text = text[: MAX_QUOTED_LENGTH - 1].rstrip() + "\u2026"
    return text


def personal_needs(spec: TemplateSpec) -> frozenset[str]:
    return template_placeholders(spec.text) & PERSONAL_PLACEHOLDERS
