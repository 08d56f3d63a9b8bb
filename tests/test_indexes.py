"""Every foreign key stays indexed: by an index of its own, or by one that begins with its
column (a lookup by the key, and a delete cascading through it, use either)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection, models

pytestmark = pytest.mark.django_db


def _leading_columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {
        c["columns"][0]
        for c in constraints.values()
        if c["columns"] and (c["index"] or c["unique"])
    }


def test_every_foreign_key_is_the_first_column_of_an_index():
    unindexed = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        leading = _leading_columns(model._meta.db_table)
        for field in model._meta.concrete_fields:
            if isinstance(field, models.ForeignKey) and field.column not in leading:
                unindexed.append(f"{model._meta.label}.{field.name}")
    assert unindexed == []


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("planner.Delivery", "prompt"),
        ("planner.InboxMessage", "client"),
        ("planner.ScheduledPrompt", "break_obj"),
    ],
)
def test_the_keys_a_composite_index_covers_have_no_index_of_their_own(label, field):
    model = apps.get_model(label)
    column = model._meta.get_field(field).column
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    own = [name for name, c in constraints.items() if c["index"] and c["columns"] == [column]]
    assert own == []  # a second index of the same column: written on every insert, never needed
