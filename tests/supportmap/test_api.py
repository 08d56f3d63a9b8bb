"""GET and PUT of the support map, for the client and for their therapist."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from planner.models import AuditEvent, SupportItem
from tests.helpers import NOW

pytestmark = pytest.mark.django_db

CHOIR = {"kind": "group", "name": "Thursday choir", "needs": ["company", "fun"], "when": ["thu"]}


def test_the_first_read_starts_the_map_from_the_plan(mapped):
    answer = mapped.api(mapped.client.user).get("/api/v1/me/support-map/")
    assert answer.status_code == 200
    items = answer.json()["items"]
    assert [(i["kind"], i["name"], i["needs"]) for i in items] == [
        ("person", "Jamie", ["company"]),
        ("activity", "the library café", []),
    ]
    assert set(items[0]) == {"id", "kind", "name", "needs", "when", "note"}


def test_a_map_emptied_on_purpose_stays_empty(mapped):
    api = mapped.api(mapped.client.user)
    api.get("/api/v1/me/support-map/")
    assert api.put("/api/v1/me/support-map/", {"items": []}, format="json").status_code == 200
    assert api.get("/api/v1/me/support-map/").json() == {"items": []}


def test_put_keeps_items_by_id_adds_new_ones_and_removes_the_rest(mapped):
    api = mapped.api(mapped.client.user)
    jamie, cafe = api.get("/api/v1/me/support-map/").json()["items"]
    body = {"items": [{**jamie, "when": ["weekends"], "note": "call first"}, CHOIR]}
    answer = api.put("/api/v1/me/support-map/", body, format="json")
    assert answer.status_code == 200, answer.json()
    items = answer.json()["items"]
    assert items[0]["id"] == jamie["id"] and items[0]["when"] == ["weekends"]
    assert items[1]["name"] == "Thursday choir" and items[1]["id"] not in (jamie["id"], cafe["id"])
    assert not SupportItem.objects.filter(pk=cafe["id"]).exists()
    event = AuditEvent.objects.filter(action="supportmap.updated").get()
    assert "Thursday" not in str(event.detail)  # the client's words stay out of the audit


def test_the_therapist_edits_the_same_map(mapped):
    api = mapped.api(mapped.therapist)
    url = f"/api/v1/clients/{mapped.client.pk}/support-map/"
    assert api.put(url, {"items": [CHOIR]}, format="json").status_code == 200
    mine = mapped.api(mapped.client.user).get("/api/v1/me/support-map/").json()["items"]
    assert [i["name"] for i in mine] == ["Thursday choir"]


def test_another_therapists_client_is_a_404(mapped, make_user):
    other = make_user("therapist")
    url = f"/api/v1/clients/{mapped.client.pk}/support-map/"
    assert mapped.api(other).get(url).status_code == 404
    assert mapped.api(other).put(url, {"items": [CHOIR]}, format="json").status_code == 404
    assert mapped.api(mapped.client.user).get(url).status_code == 403


@pytest.mark.parametrize(
    "item, message",
    [
        ({**CHOIR, "kind": "pet"}, "kind"),
        ({**CHOIR, "name": ""}, "name"),
        ({**CHOIR, "when": ["someday"]}, "not a day"),
        ({**CHOIR, "when": ["2026-02-30"]}, "not a day"),
        ({**CHOIR, "needs": ["!!!"]}, "a need of your own"),
        ({**CHOIR, "id": 999999}, "unknown id"),
        ({**CHOIR, "needs": "company"}, "needs"),
    ],
)
def test_bad_items_are_a_400_naming_the_field(mapped, item, message):
    api = mapped.api(mapped.client.user)
    answer = api.put("/api/v1/me/support-map/", {"items": [item]}, format="json")
    assert answer.status_code == 400
    assert message in str(answer.json())


def test_a_map_change_plans_the_unsent_prompts_again(mapped):
    version = mapped.brk.plan_version
    market = {"kind": "place", "name": 'The "Saturday" market', "needs": ["fun"], "when": ["sat"]}
    api = mapped.api(mapped.client.user)
    api.put("/api/v1/me/support-map/", {"items": [market]}, format="json")
    mapped.brk.refresh_from_db()
    assert mapped.brk.plan_version == version + 1
    # Quoted in the client's words, its own quotes made safe inside the quotation.
    quoting = list(mapped.brk.prompts.filter(text__contains="From your map: \"The 'Saturday'"))
    assert quoting
    for prompt in quoting:
        local = prompt.send_at.astimezone(ZoneInfo(mapped.brk.timezone))
        assert local.strftime("%A") == "Saturday" and "— it is Saturday." in prompt.text
        assert prompt.send_at > NOW
