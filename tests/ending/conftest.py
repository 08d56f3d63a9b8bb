from __future__ import annotations

from datetime import timedelta

import pytest

from planner.breaks.prompts import library_load
from tests.helpers import NOW

BLUEPRINT = {
    "blueprint_learned": ["Thoughts are not facts", "I can ask for help early"],
    "blueprint_early_signs": ["Sleeping badly for three nights", "Skipping football"],
    "blueprint_actions": ["Ring Sam", "Go back to the morning walk"],
    "blueprint_contacts": ["Sam (brother) 07700 900333", "GP surgery 020 7946 0000"],
    "blueprint_come_back": "Ask your GP for a new referral, or fill in the self-referral form.",
}


@pytest.fixture(autouse=True)
def _library(db):
    library_load()


@pytest.fixture
def ending_data():
    """An ending: the last session in three weeks, two booster sessions booked after it."""
    return {
        "kind": "ending",
        "starts_at": NOW + timedelta(days=1),
        "ends_at": NOW + timedelta(days=21),
        "return_session_at": None,
        "booster_sessions": [NOW + timedelta(days=80), NOW + timedelta(days=170)],
        **BLUEPRINT,
    }
