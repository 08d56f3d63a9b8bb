"""Template text: placeholders, their checks, and rendering with the client's own words.

Pure: no Django, no clock.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping

from planner.schedule.types import TemplateSpec

PLACEHOLDERS = frozenset(
    {"first_name", "return_date", "therapist_name", "covering_name", "contact_name", "strategy"}
)


# Placeholders filled from the client's own lists; a template using one is "personal".
PERSONAL_PLACEHOLDERS = frozenset({"strategy", "contact_name"})


# A missing value never breaks a message: it reads as a gentle, neutral phrase instead.
FALLBACKS: Mapping[str, str] = {
    "first_name": "",
    "return_date": "the return date",
    "therapist_name": "your therapist",
    "covering_name": "the covering clinician",
    "contact_name": "someone you trust",
    "strategy": "something that has helped before",
}


def template_placeholders(text: str) -> set[str]:
    """The placeholder names used in ``text``; raises ValueError on malformed braces."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


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
    return errors


def render(text: str, context: Mapping[str, str]) -> str:
    """Fill the placeholders of ``text``; never raises, whatever is missing."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        return text  # a malformed template is shown as written rather than failing a send
    out: list[str] = []
    blanked = False
    for literal, name, _, _ in parts:
        out.append(literal)
        if name is None:
            continue
        value = (context.get(name) or "").strip() or FALLBACKS.get(name, "")
        blanked = blanked or not value
        out.append(value)
    result = "".join(out)
    return _tidy(result) if blanked else result


def _tidy(text: str) -> str:
    """Clean up after an empty value: "Hi , take a breath" -> "Hi, take a breath"."""
    text = re.sub(r"[ \t]+([,.!?;:])", r"\1", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    stripped = re.sub(r"^[\s,;:]+", "", text)
    if stripped != text and stripped:
        stripped = stripped[0].upper() + stripped[1:]
    return stripped.strip()


def personal_needs(spec: TemplateSpec) -> set[str]:
    return template_placeholders(spec.text) & PERSONAL_PLACEHOLDERS
