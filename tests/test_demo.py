"""`manage.py loaddemo` (planner/demo.py): idempotent, and refused without DEBUG."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from core.models import Practice, User
from planner.models import Break, Client


def test_it_loads_the_demo_idempotently(db, settings):
    settings.DEBUG = True
    call_command("loaddemo")
    counts = (
        User.objects.count(),
        Client.objects.count(),
        Break.objects.count(),
        Practice.objects.count(),
    )
    call_command("loaddemo")
    assert counts == (
        User.objects.count(),
        Client.objects.count(),
        Break.objects.count(),
        Practice.objects.count(),
    )
    therapist = User.objects.get(email="therapist@example.com")
    assert therapist.clients.count() == 5
    assert Break.objects.filter(status=Break.Status.ACTIVE).count() == 1
    assert User.objects.get(email="staff@example.com").is_staff
    robin = User.objects.get(email="client@example.com").client_profile
    assert robin.first_name == "Robin"
    assert robin.support_items.count() == 5  # the support map, once
    plan = therapist.continuity_plan
    assert plan.colleague.email == "therapist2@example.com"
    assert sorted(c.first_name for c in plan.call_clients.all()) == ["Alex", "Sam"]
    # The ending of issue 19: a blueprint, two booked boosters, a half-done checklist.
    ending = Break.objects.get(kind=Break.Kind.ENDING, status=Break.Status.SCHEDULED)
    assert ending.blueprint_early_signs and len(ending.booster_datetimes) == 2
    assert ending.checklist and ending.follow_ups_opted_in_at is None
    assert User.objects.get(email="alex.moreno@example.com").client_profile == ending.client


def test_it_refuses_demo_data_without_debug(db, settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("loaddemo")
