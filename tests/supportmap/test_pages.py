"""The support map's pages, the feedback buttons, the review's offer and the therapist's
view after the break."""

from __future__ import annotations

from datetime import timedelta

import pytest

from planner.models import PromptFeedback, SupportItem
from planner.supportmap.drawing import map_svg

pytestmark = pytest.mark.django_db


def _form(rows: list[dict], initial: int = 0) -> dict:
    data = {
        "support-TOTAL_FORMS": str(len(rows)),
        "support-INITIAL_FORMS": str(initial),
        "support-MIN_NUM_FORMS": "0",
        "support-MAX_NUM_FORMS": "40",
    }
    for n, row in enumerate(rows):
        for key, value in row.items():
            data[f"support-{n}-{key}"] = value
    return data


def test_the_client_adds_supports_and_sees_them_on_my_break(client, mapped):
    client.force_login(mapped.client.user)
    page = client.get("/me/support-map/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'role="img"' in html and "Jamie" in html and "the library café" in html
    jamie = SupportItem.objects.get(name="Jamie")
    cafe = SupportItem.objects.get(name="the library café")
    rows = [
        {"id": str(jamie.pk), "name": "Jamie", "kind": "person", "needs": ["company"]},
        {"id": str(cafe.pk), "name": "the library café", "kind": "place", "DELETE": "on"},
        {"name": "Thursday choir", "kind": "group", "needs": ["fun"], "when": ["thu"]},
        {"name": "Swim", "kind": "activity", "own_need": "breathing", "on_date": "2026-12-24"},
    ]
    answer = client.post("/me/support-map/", _form(rows, initial=2))
    assert answer.status_code == 302
    assert list(SupportItem.objects.values_list("name", "needs", "when")) == [
        ("Jamie", ["company"], []),
        ("Thursday choir", ["fun"], ["thu"]),
        ("Swim", ["breathing"], ["2026-12-24"]),
    ]
    home = client.get("/me/").content.decode()
    assert "My support map" in home and "Thursday choir" in home and "Thursdays" in home
    assert "breathing" in home  # the client's own word for a need is a group of the picture
    printable = client.get("/me/plan/print/").content.decode()
    assert "Thursday choir" in printable and 'role="img"' in printable


def test_a_bad_support_is_a_form_error_not_a_500(client, mapped):
    client.force_login(mapped.client.user)
    client.get("/me/support-map/")
    rows = [{"name": "Choir", "kind": "group", "own_need": "!!"}]
    answer = client.post("/me/support-map/", _form(rows))
    assert answer.status_code == 400
    assert "a need of your own" in answer.content.decode()
    assert not SupportItem.objects.filter(name="Choir").exists()


def test_the_therapist_edits_the_map_from_the_plan_builder(client, mapped, make_user):
    client.force_login(mapped.therapist)
    assert "support-map" in client.get(f"/breaks/{mapped.brk.pk}/edit/").content.decode()
    url = f"/clients/{mapped.client.pk}/support-map/"
    assert client.get(url).status_code == 200
    rows = [{"name": "Allotment", "kind": "place", "needs": ["calm"], "when": ["sat"]}]
    assert client.post(url, _form(rows)).status_code == 302
    assert SupportItem.objects.filter(client=mapped.client, name="Allotment").exists()
    client.force_login(make_user("therapist"))
    assert client.get(url).status_code == 404


def test_the_picture_escapes_the_clients_words():
    class Item:
        name, kind, needs, when, note = "<script>x</script>", "person", ["company"], [], ""

    svg = str(map_svg([Item()], centre="You"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_the_inbox_offers_this_helped_and_not_for_me(client, mapped):
    message = mapped.deliver(mapped.brk.prompts.order_by("send_at").first())
    client.force_login(mapped.client.user)
    html = client.get("/me/inbox/").content.decode()
    assert "This helped" in html and "Not for me" in html
    answer = client.post(
        f"/me/inbox/{message.pk}/feedback/", {"helpful": "no", "next": "/me/inbox/"}
    )
    assert answer.status_code == 302
    assert PromptFeedback.objects.get(message=message).helpful is False
    assert 'aria-pressed="true"' in client.get("/me/inbox/").content.decode()


def test_after_the_break_the_therapist_sees_what_helped_and_the_review_adds_to_the_map(
    client, mapped, frozen
):
    first = mapped.brk.prompts.order_by("send_at").first()
    message = mapped.deliver(first)
    PromptFeedback.objects.create(
        message=message,
        client=mapped.client,
        break_obj=mapped.brk,
        category=message.category,
        helpful=True,
    )
    client.force_login(mapped.therapist)
    during = client.get(f"/breaks/{mapped.brk.pk}/").content.decode()
    assert "What the client said helped" not in during  # never while the break runs
    frozen.move_to(mapped.brk.return_session_at + timedelta(hours=3))
    client.force_login(mapped.client.user)
    answer = client.post(
        f"/me/breaks/{mapped.brk.pk}/review/",
        {"what_helped": "", "map_name": "Night walks", "map_kind": "activity", "map_needs": "calm"},
    )
    assert answer.status_code == 200, answer.content.decode()[:2000]
    assert SupportItem.objects.get(name="Night walks").needs == ["calm"]
    client.force_login(mapped.therapist)
    after = client.get(f"/breaks/{mapped.brk.pk}/").content.decode()
    assert "What the client said helped" in after and first.text[:40] in after
    assert "Night walks" in after
