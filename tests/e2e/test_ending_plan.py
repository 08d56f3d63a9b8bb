"""An ending in the browser: the client reads their blueprint, says yes to follow-ups, and
prints a full ending plan, which fits on two A4 pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import ARTIFACTS, PASSWORD
from tests.factories import ClientUserFactory

pytestmark = pytest.mark.e2e

FOUR = range(1, 5)
FULL_PLAN = {
    "warning_signs": [f"Warning sign {i}: lying awake past two in the morning" for i in FOUR],
    "coping_strategies": [f"Coping {i}: a long walk along the canal towpath" for i in FOUR],
    "distractions": [f"Distraction {i}: the climbing wall on Thursday evenings" for i in FOUR],
    "professional_contacts": [f"Service {i}: the GP surgery, 020 7946 000{i}" for i in FOUR],
    "environment_safety": [f"Safer {i}: the spare keys stay with my sister" for i in FOUR],
    "reasons_for_hope": [f"Hope {i}: my niece's birthday in the spring" for i in FOUR],
    "support_contacts": [
        {"name": f"Person {i}", "relationship": "friend", "phone": f"+44770090011{i}"} for i in FOUR
    ],
    "therapist_note": "It has been good to work with you. What you built is yours to keep, "
    "and the plan below is there for the harder days as well as the good ones.",
    "blueprint_learned": [f"Learned {i}: thoughts are not facts, and they pass" for i in FOUR],
    "blueprint_early_signs": [f"Early sign {i}: skipping football two weeks running" for i in FOUR],
    "blueprint_actions": [f"Step {i}: ring Sam and book a walk for the weekend" for i in FOUR],
    "blueprint_contacts": [f"Contact {i}: Sam, my brother, 07700 90033{i}" for i in FOUR],
    "blueprint_come_back": "Ask your GP for a new referral, or fill in the self-referral form "
    "on the practice's website; a first appointment usually comes within four weeks, and "
    "you can ask for the same therapist.",
}


@pytest.fixture
def ending_client(make_client, practice, library):
    from planner.breaks import services

    practice.contact_phone, practice.contact_email = "+44 20 7946 0001", "hello@practice.example"
    practice.save()
    user = ClientUserFactory(
        email="alex@example.com", password=PASSWORD, first_name="Alex", practice=practice
    )
    alex = make_client("Alex", user=user, country="GB")
    last = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=14)
    brk = services.break_create(
        therapist=alex.therapist,
        client=alex,
        kind="ending",
        starts_at=last - timedelta(days=28),
        ends_at=last,
        booster_sessions=[last + timedelta(days=60), last + timedelta(days=120)],
        **FULL_PLAN,
    )
    services.break_activate(brk=brk, actor=alex.therapist)
    return brk


def test_a_client_reads_the_blueprint_says_yes_and_prints_two_pages(journey, ending_client):
    page = journey.page
    journey.login("alex@example.com")
    journey.check("my break (ending)")
    journey.screenshot("client_my_break_ending")
    assert page.get_by_role("heading", name="My blueprint for after therapy").is_visible()
    assert page.get_by_text("Early sign 4: skipping football").is_visible()
    assert page.locator('a[href="tel:+442079460001"]').first.is_visible()
    page.get_by_role("button", name="Yes, send me follow-ups").click()
    page.wait_for_load_state()
    journey.check("follow-ups agreed")
    assert page.get_by_text("You said yes to follow-up messages on").is_visible()
    ending_client.refresh_from_db()
    assert ending_client.follow_ups_opted_in_at is not None
    assert ending_client.prompts.filter(category="follow_up").exists()

    journey.go("/me/plan/print/")
    journey.check("printable ending plan")
    assert page.get_by_text("Contact 4: Sam, my brother").is_visible()
    assert page.get_by_text("Hope 4: my niece's birthday").is_visible()
    page.emulate_media(media="print")
    journey.screenshot("printable_ending_plan")
    pdf = page.pdf(format="A4", print_background=False)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "printable_ending_plan.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= 2, f"the printable ending plan took {pages} A4 pages"
