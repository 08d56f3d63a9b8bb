"""The prompt library in the database: loaded by migration, refreshed by loadprompts,
practices add their own (checked) and switch shipped ones off."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from planner.breaks.prompts import library_for
from planner.models import PromptTemplate


def test_the_shipped_library_is_loaded_by_the_migration(db):
    assert PromptTemplate.objects.filter(practice__isnull=True).count() >= 80


def test_loadprompts_is_idempotent(db, capsys):
    call_command("loadprompts")
    assert "0 created, 0 updated" in capsys.readouterr().out


def test_a_practice_switches_a_prompt_off_and_adds_its_own(practice):
    shipped = PromptTemplate.objects.filter(practice__isnull=True, category="coping").first()
    shipped.disabled_by.add(practice)
    own = PromptTemplate(
        key="riverside-walk",
        practice=practice,
        category="coping",
        kinds=["holiday"],
        text="If it helps, {first_name}, the river path is lovely at this time of year.",
    )
    own.full_clean()
    own.save()
    ids = {spec.id for spec in library_for(practice)}
    assert "riverside-walk" in ids
    assert shipped.key not in ids
    assert shipped.key in {spec.id for spec in library_for(None)}


def test_a_practice_prompt_with_an_unknown_placeholder_is_refused(practice):
    own = PromptTemplate(
        key="bad-one",
        practice=practice,
        category="hope",
        kinds=["holiday"],
        text="Hello {frist_name}",
    )
    with pytest.raises(ValidationError) as excinfo:
        own.full_clean()
    assert "frist_name" in str(excinfo.value.message_dict["text"])
