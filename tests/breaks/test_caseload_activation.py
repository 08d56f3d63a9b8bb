"""Activating a caseload at once stores, for each client, exactly the prompts activating that
client's break alone would store: the same rows, value for value.

The caseload plans the clients whose plans share a shape (the same zone, times and dates)
together, so the clients here differ where that could go wrong: two time zones across both
spring DST changes, two clients who share everything but their name, one with their own
words, a support map and a high check-in (the crisis line), one without the therapist's note.
"""

from __future__ import annotations

from datetime import time, timedelta

import time_machine
from django.db import transaction

from planner.breaks import services
from planner.letters.note import NOTE_SOURCE
from planner.models import Break, ScheduledPrompt, SupportItem
from tests.factories import CheckInFactory
from tests.helpers import NOW

# Early March to early April: New York moves its clocks on 14 March 2027, London on the 28th.
START = NOW + timedelta(days=95)
COLUMNS = [f.attname for f in ScheduledPrompt._meta.concrete_fields if f.attname != "id"]


class _Rollback(Exception):
    pass


def _caseload(therapist) -> list[Break]:
    people = [
        ("Ana", "Europe/London", {}),
        ("Ben", "America/New_York", {}),
        ("Cleo", "Europe/London", {}),
        ("Dev", "Asia/Kolkata", {"prompt_times": ["08:15", "20:30"], "quiet_hours_start": None}),
        ("Eli", "America/New_York", {}),  # Ben's shape, another name
        ("Fay", "Europe/London", {"quiet_hours_start": time(22), "quiet_hours_end": time(9, 30)}),
    ]
    for name, zone, extra in people:
        fields = {"first_name": name, "timezone": zone, "country": "GB", **extra}
        if fields.get("quiet_hours_start", ...) is None:
            fields["quiet_hours_end"] = None
        services.client_create(therapist=therapist, **fields)
    breaks = services.absence_plan(
        actor=therapist,
        therapist=therapist,
        clients="all",
        kind="holiday",
        starts_at=START,
        ends_at=START + timedelta(days=28),
        return_session_at=START + timedelta(days=29),
        covering_clinician={"name": "Priya Shah"},
        therapist_note="I will be back on the 4th; Priya knows you are on her list.",
    )
    by_name = {b.client.first_name: b for b in breaks}
    cleo = by_name["Cleo"]
    services.break_update(
        brk=cleo,
        actor=therapist,
        coping_strategies=["a walk by the river", "the breathing app"],
        support_contacts=[{"name": "Jamie", "relationship": "friend"}],
        reasons_for_hope=["my sister's wedding"],
    )
    for position, (item, when, needs) in enumerate(
        [("Saturday choir", ["sat"], ["company"]), ("my allotment", ["evenings"], ["calm"])]
    ):
        fields = {"kind": "activity", "name": item, "when": when, "needs": needs}
        SupportItem.objects.create(client=cleo.client, position=position, **fields)
    CheckInFactory(client=cleo.client, break_obj=cleo, distress=9, need_support_now=True)
    services.break_update(brk=by_name["Fay"], actor=therapist, therapist_note="")
    return breaks


def _rows(ids: list[int]) -> dict[int, list[tuple]]:
    found: dict[int, list[tuple]] = {pk: [] for pk in ids}
    for row in (
        ScheduledPrompt.objects.filter(break_obj_id__in=ids)
        .order_by("break_obj_id", "send_at", "category", "text")
        .values_list(*COLUMNS)
    ):
        found[row[COLUMNS.index("break_obj_id")]].append(row)
    return found


def _activated_alone(therapist, ids: list[int]) -> dict[int, list[tuple]]:
    """Each break activated on its own, then undone, so the caseload starts from drafts."""
    alone = {}
    for pk in ids:
        try:
            with transaction.atomic():
                services.break_activate(brk=Break.objects.get(pk=pk), actor=therapist, at=NOW)
                alone[pk] = _rows([pk])[pk]
                raise _Rollback
        except _Rollback:
            pass
    return alone


def test_a_caseload_stores_for_each_client_what_their_own_activation_stores(make_user):
    with time_machine.travel(NOW, tick=False):
        therapist = make_user("therapist", first_name="Morgan")
        breaks = _caseload(therapist)
        ids = [b.pk for b in breaks]
        alone = _activated_alone(therapist, ids)
        assert not ScheduledPrompt.objects.filter(break_obj_id__in=ids).exists()
        services.breaks_activate(
            breaks=list(Break.objects.filter(pk__in=ids).order_by("id")), actor=therapist, at=NOW
        )
        together = _rows(ids)
    names = {b.pk: b.client.first_name for b in breaks}
    for pk in ids:
        assert len(together[pk]) > 10, names[pk]
        assert together[pk] == alone[pk], names[pk]
    text = COLUMNS.index("text")
    texts = {names[pk]: "\n".join(row[text] for row in together[pk]) for pk in ids}
    # What the clients differ in shows in their messages, each only in their own.
    assert "From your map" in texts["Cleo"] and "emergency" in texts["Cleo"]
    assert "river" in texts["Cleo"] or "breathing app" in texts["Cleo"] or "Jamie" in texts["Cleo"]
    for name in ("Ana", "Ben", "Dev", "Eli", "Fay"):
        assert "From your map" not in texts[name] and "river" not in texts[name]
    source = COLUMNS.index("source")
    notes = {names[pk]: sum(row[source] == NOTE_SOURCE for row in together[pk]) for pk in ids}
    assert notes == {"Ana": 1, "Ben": 1, "Cleo": 1, "Dev": 1, "Eli": 1, "Fay": 0}
    # The zones change the instants: the same local morning is a different moment.
    send_at = COLUMNS.index("send_at")
    by_name = {names[pk]: {row[send_at] for row in together[pk]} for pk in ids}
    assert not by_name["Ana"] & by_name["Ben"]
