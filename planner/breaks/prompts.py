"""The prompt library in the database: loading the shipped file, a practice's own prompts,
and turning rows into the schedule engine's plain TemplateSpecs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from core.models import Practice
from planner.models import PromptTemplate
from planner.schedule.library import load_prompt_library
from planner.schedule.types import Category, Kind, TemplateSpec

SHIPPED_LIBRARY = Path(settings.BASE_DIR) / "seeds" / "prompts.json"


def _fields(spec: TemplateSpec) -> dict[str, Any]:
    return {
        "category": spec.category.value,
        "kinds": sorted(k.value for k in spec.kinds),
        "text": spec.text,
        "requires": sorted(spec.requires),
        "topics": sorted(spec.topics),
        "lead": spec.lead,
    }


@transaction.atomic
def library_load(*, path: Path = SHIPPED_LIBRARY) -> tuple[int, int]:
    """Create or update the shipped prompts (validated first). Returns (created, updated).

    A prompt a practice switched off stays off: only its text, category, kinds, facts,
    topics and lead are refreshed. A shipped prompt no longer in the file is switched off.
    """
    specs = load_prompt_library(path)  # raises LibraryError naming each bad template
    existing = {p.key: p for p in PromptTemplate.objects.filter(practice__isnull=True)}
    created: list[PromptTemplate] = []
    updated: list[PromptTemplate] = []
    for spec in specs:
        fields = _fields(spec)
        row = existing.get(spec.id)
        if row is None:
            created.append(PromptTemplate(key=spec.id, **fields))
        elif any(getattr(row, k) != v for k, v in fields.items()) or not row.is_active:
            for key, value in fields.items():
                setattr(row, key, value)
            row.is_active = True
            updated.append(row)
    PromptTemplate.objects.bulk_create(created)
    PromptTemplate.objects.bulk_update(updated, [*_fields(specs[0]), "is_active"] if specs else [])
    gone = set(existing) - {spec.id for spec in specs}
    PromptTemplate.objects.filter(practice__isnull=True, key__in=gone, is_active=True).update(
        is_active=False
    )
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
        requires=frozenset(row.requires or ()),
        topics=frozenset(row.topics or ()),
        lead=row.lead,
    )
