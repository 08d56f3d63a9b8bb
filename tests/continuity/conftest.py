"""The people of the continuity tests: Morgan (the therapist) names Alex; Olive is another
therapist of the practice, Lee its staff; Robin and Sam are Morgan's clients. Time is
frozen at NOW for the whole test."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from planner.breaks import services as break_services
from planner.continuity import services
from tests.helpers import NOW


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def people(make_user, therapist, practice):
    practice.contact_phone = "+441632960000"
    practice.save(update_fields=["contact_phone"])
    alex = make_user("therapist", first_name="Alex", last_name="Reed", email="alex@example.com")
    olive = make_user("therapist", first_name="Olive", last_name="Park", email="olive@example.com")
    lee = make_user("staff", first_name="Lee", email="lee@example.com")
    login = make_user("client", first_name="Robin", email="robin@example.com")
    robin = break_services.client_create(
        therapist=therapist,
        first_name="Robin",
        last_name="Example",
        email="robin@example.com",
        phone="+447700900123",
        country="GB",
        channels=["inbox", "email"],
    )
    robin.user = login
    robin.save(update_fields=["user"])
    sam = break_services.client_create(
        therapist=therapist, first_name="Sam", last_name="Stone", phone="+447700900456"
    )
    return {
        "therapist": therapist,
        "alex": alex,
        "olive": olive,
        "lee": lee,
        "robin": robin,
        "sam": sam,
    }


@pytest.fixture
def plan(people):
    return services.plan_save(
        therapist=people["therapist"],
        colleague=people["alex"],
        script="SCRIPT: Hello, I am calling from the practice about Morgan.",
        call_clients=[people["sam"]],
    )


@pytest.fixture
def declared(people, plan):
    """Lee declared an unplanned absence for Morgan an hour ago."""
    return services.absence_declare(
        staff=people["lee"],
        therapist=people["therapist"],
        starts_at=NOW - timedelta(hours=1),
        sessions_plan="cancelled_practice",
    )
