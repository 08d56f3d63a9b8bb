"""The prompt library in the database: loading the shipped file, a practice's own prompts,
and turning rows into the schedule engine's plain TemplateSpecs."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from core.models import Practice
from planner.models import PromptTemplate
from planner.schedule.library import load_prompt_library
from planner.schedule.types import Category, Kind, TemplateSpec

SHIPPED_LIBRARY = Path(settings.BASE_DIR) / "seeds" / "prompts.json"


@transaction.atomic
def library_load(*, path: Path = SHIPPED_LIBRARY) -> tuple[int, int]:
    """Create or update the shipped prompts (validated first). Returns (created, updated).

    A prompt a practice switched off stays off: only text, category and kinds are refreshed.
    """
    specs = load_prompt_library(path)  # raises LibraryError naming each bad template
    existing = {p.key: p for p in PromptTemplate.objects.filter(practice__isnull=True)}
    created: list[PromptTemplate] = []
    updated: list[PromptTemplate] = []
    for spec in specs:
        kinds = sorted(k.value for k in spec.kinds)
        row = existing.get(spec.id)
        if row is None:
            created.append(
                PromptTemplate(
                    key=spec.id, category=spec.category.value, kinds=kinds, text=spec.text
                )
            )
        elif (row.text, row.category, row.kinds) != (spec.text, spec.category.value, kinds):
            row.text, row.category, row.kinds = spec.text, spec.category.value, kinds
            updated.append(row)
    PromptTemplate.objects.bulk_create(created)
    PromptTemplate.objects.bulk_update(updated, ["text", "category", "kinds"])
    return len(created), len(updated)


def library_for(practice: Practice | None) -> list[TemplateSpec]:
    """The active prompts a practice uses: the shipped ones it did not switch off + its own."""
    shipped = Q(practice__isnull=True)
    if practice is None:
        rows = PromptTemplate.objects.filter(shipped, is_active=True)
    else:
        disabled = PromptTemplate.disabled_by.through.objects.filter(practice=practice)
        rows = PromptTemplate.objects.filter(
            shipped | Q(practice=practice), is_active=True
        ).exclude(pk__in=disabled.values("prompttemplate_id"))
    return [to_spec(row) for row in rows.order_by("key")]


def to_spec(row: PromptTemplate) -> TemplateSpec:
    return TemplateSpec(
        id=row.key,
        category=Category(row.category),
        text=row.text,
        kinds=frozenset(Kind(k) for k in row.kinds) if row.kinds else frozenset(Kind),
    )
