"""IDOR sweep: every URL pattern with an id, as every kind of intruder, by GET and by POST.

Robin (client A of therapist A) has a live break with prompts, inbox messages, a check-in, an
escalation and a review. Each intruder puts Robin's ids into every URL pattern of the project
(pages and API; signed-link routes are covered in tests/delivery/) and must never get a
success, and nothing of Robin's may change.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import time_machine

from core.models import Practice
from planner.continuity import services as continuity
from planner.models import (
    Break,
    BreakReview,
    CheckIn,
    Client,
    ConsentRecord,
    ContinuityCall,
    ContinuityPlan,
    Escalation,
    InboxMessage,
    Letter,
    PromptFeedback,
    PushSubscription,
    ScheduledPrompt,
    SupportItem,
)
from tests.factories import ClientFactory, PracticeFactory
from tests.helpers import NOW
from tests.security_helpers import api_token, url_patterns_with_ids

ID_KINDS = {
    "clients/<": "client",
    "breaks/<": "break",
    "inbox/<": "message",
    "client": "client",
    "break": "break",
    "message": "message",
    "inbox": "message",
    "check": "check_in",
    "prompt": "prompt",
    "escalation": "escalation",
    "therapist": "therapist",
    "push-subscriptions/<": "push_subscription",
    "subscription": "push_subscription",
    "letter": "letter",
}
BREAK_ACTIONS = ["activate", "cancel", "pause", "resume", "check-ins", "deliveries", "edit"]
# The actions of the staff pages about a therapist (hand over, an absence) go through it too.
BREAK_ACTIONS += ["hand-over", "end", "will-not-return"]


def robins_ids(robin: Client) -> dict[str, int]:
    brk = robin.breaks.get()
    return {
        "client": robin.pk,
        "break": brk.pk,
        "message": InboxMessage.objects.filter(client=robin).first().pk,
        "check_in": CheckIn.objects.get(client=robin).pk,
        "prompt": brk.prompts.first().pk,
        "escalation": Escalation.objects.get(client=robin).pk,
        "therapist": robin.therapist_id,
        "push_subscription": PushSubscription.objects.get_or_create(
            client=robin,
            endpoint="https://fcm.googleapis.com/fcm/send/robins-phone",
            defaults={"p256dh": "key", "auth": "secret"},
        )[0].pk,
        "letter": Letter.objects.get(client=robin).pk,
    }


def snapshot(robin: Client) -> tuple:
    """Everything of Robin's an intruder's request could change."""
    robin.refresh_from_db()
    return (
        tuple(Client.objects.filter(pk=robin.pk).values_list()),
        tuple(Break.objects.filter(client=robin).values_list()),
        tuple(ScheduledPrompt.objects.filter(client=robin).values_list("id", "status", "text")),
        tuple(InboxMessage.objects.filter(client=robin).values_list()),
        tuple(CheckIn.objects.filter(client=robin).values_list()),
        tuple(Escalation.objects.filter(client=robin).values_list()),
        tuple(BreakReview.objects.filter(break_obj__client=robin).values_list()),
        ConsentRecord.objects.filter(client=robin).count(),
        tuple(ContinuityCall.objects.filter(client=robin).values_list()),
        tuple(PushSubscription.objects.filter(client=robin).values_list()),
        tuple(SupportItem.objects.filter(client=robin).values_list()),
        tuple(PromptFeedback.objects.filter(client=robin).values_list()),
        tuple(Letter.objects.filter(client=robin).values_list()),
    )


def candidate_urls(ids: dict[str, int]) -> list[str]:
    urls = []
    for pattern in url_patterns_with_ids():
        if any("token" in name for name in pattern.params) or pattern.route.startswith("admin"):
            continue
        options: list[dict[str, object]] = [{}]
        for name in pattern.params:
            # The kind of object from the parameter's name, or for a generic "pk" from the
            # route segment in front of it ("breaks/<id:pk>/").
            segment = re.split(rf"<\w+:{name}>", pattern.route)[0][-12:] + "<"
            kind = next(
                (
                    v
                    for k, v in ID_KINDS.items()
                    if k in name or (k.endswith("<") and segment.endswith(k))
                ),
                None,
            )
            if name == "action":
                values: list[object] = BREAK_ACTIONS
            elif kind:
                values = [ids[kind]]
            else:  # a generic "pk": try every kind of object
                values = list(ids.values())
            options = [{**o, name: v} for o in options for v in values]
        urls += [pattern.url(**values) for values in options]
    return sorted(set(urls))


@pytest.fixture
def intruders(make_user, client_with_history):
    colleague = make_user("therapist", email="colleague@example.com")  # same practice
    # Robin's therapist named this colleague in their continuity plan, but no absence is
    # declared: the call list, Robin's contact details and the call pages stay a 404.
    continuity.plan_save(
        therapist=client_with_history.therapist,
        colleague=colleague,
        script="If I cannot come back.",
        call_clients=[client_with_history],
    )
    elsewhere = PracticeFactory(name="Elsewhere")
    stranger = make_user("therapist", email="stranger@example.com", practice=elsewhere)
    other_login = make_user("client", email="other-client@example.com")
    ClientFactory(therapist=stranger, user=other_login, first_name="Other")
    outside_staff = make_user(
        "staff", email="staff@elsewhere.example", practice=elsewhere, is_staff=True
    )
    # Robin's support map and a "This helped": nothing of them may change either.
    SupportItem.objects.create(client=client_with_history, kind="group", name="Choir")
    message = InboxMessage.objects.filter(client=client_with_history).first()
    PromptFeedback.objects.create(
        message=message, client=client_with_history, category=message.category, helpful=True
    )
    return {
        "colleague therapist": colleague,
        "therapist of another practice": stranger,
        "another client": other_login,
        "staff of another practice": outside_staff,
    }


def _sweep(client, robin, intruders, method: str) -> int:
    ids = robins_ids(robin)
    urls = candidate_urls(ids)
    routes = [p for p in url_patterns_with_ids() if not p.route.startswith("admin")]
    assert len(routes) >= 15, "the sweep should reach every id route of the project"
    before = snapshot(robin)
    checked = 0
    for who, user in intruders.items():
        client.force_login(user)
        token = api_token(user)
        for url in urls:
            headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if url.startswith("/api/") else {}
            if method == "get":
                response = client.get(url, **headers)
            else:
                response = client.post(url, {}, content_type="application/json", **headers)
            assert response.status_code not in (200, 201, 204, 302), (
                f"{who}: {method.upper()} {url} answered {response.status_code}"
            )
            checked += 1
        client.logout()
    assert snapshot(robin) == before, f"an intruder's {method.upper()} changed Robin's data"
    return checked


def test_no_intruder_reads_anything_of_robins(client, client_with_history, intruders):
    assert _sweep(client, client_with_history, intruders, "get") >= 60


def test_no_intruder_changes_anything_of_robins(client, client_with_history, intruders):
    assert _sweep(client, client_with_history, intruders, "post") >= 60


def test_the_sweep_would_notice_a_leak(client, client_with_history, therapist):
    """The same requests made by Robin's own therapist do succeed: the sweep can fail."""
    ids = robins_ids(client_with_history)
    client.force_login(therapist)
    answers = {
        url: client.get(url).status_code
        for url in candidate_urls(ids)
        if not url.startswith("/api/")
    }
    assert answers[f"/breaks/{ids['break']}/"] == 200
    assert answers[f"/clients/{ids['client']}/"] == 200


def test_the_continuity_pages_open_for_the_named_colleague_once_staff_declare(
    client, client_with_history, intruders, make_user
):
    """The sweep reaches the call list and it can leak: once staff declare an unplanned
    absence for Robin's therapist, the colleague the sweep uses as an intruder reads it."""
    ids = robins_ids(client_with_history)
    urls = [u for u in candidate_urls(ids) if u.startswith("/continuity/")]
    assert f"/continuity/{ids['therapist']}/" in urls
    assert f"/continuity/{ids['therapist']}/clients/{ids['client']}/" in urls
    lee = make_user("staff", email="lee@example.com")
    with time_machine.travel(NOW + timedelta(days=11), tick=False):
        continuity.absence_declare(
            staff=lee,
            therapist=client_with_history.therapist,
            starts_at=NOW + timedelta(days=11),
            sessions_plan="cancelled_practice",
        )
        client.force_login(intruders["colleague therapist"])
        for url in urls:
            if not url.endswith("/hand-over/"):
                assert client.get(url).status_code == 200, url


def test_the_sweep_reaches_the_pre_break_checklist(client_with_history):
    ids = robins_ids(client_with_history)
    assert f"/breaks/{ids['break']}/checklist/" in candidate_urls(ids)


def test_the_sweep_reaches_the_staff_absence_pages_and_they_work_for_the_practice(
    client, client_with_history, make_user
):
    """The staff's absence pages (declare, send the plans, end) are in the sweep, and the
    staff of Robin's own practice do get through them: the intruders' 404s are not a
    broken route."""
    ids = robins_ids(client_with_history)
    base = f"/practice/therapists/{ids['therapist']}/absence/"
    urls = candidate_urls(ids)
    assert {base, f"{base}send/", f"{base}end/", f"{base}will-not-return/"} <= set(urls)
    lee = make_user("staff", email="lee@example.com")
    with time_machine.travel(NOW + timedelta(days=11), tick=False):
        continuity.absence_declare(
            staff=lee,
            therapist=client_with_history.therapist,
            starts_at=NOW + timedelta(days=11),
            sessions_plan="cancelled_practice",
        )
        client.force_login(lee)
        assert client.get(base).status_code == 200
        assert client.post(f"{base}send/", {}).status_code == 302
    declared = Break.objects.get(client=client_with_history, created_by=lee)
    assert declared.status == Break.Status.ACTIVE


# --- The Django admin, with two practices -------------------------------------------------------
# Staff of practice B (the "Practice staff" group's permissions, not superusers) open every
# admin changelist, and every admin page of every object of practice A (change, history,
# delete, password), by GET and by POST: a 404 or 403 with none of practice A's data, and
# nothing of practice A changes.

A_MARKERS = (
    "Robin",
    "robin@example.com",
    "+447700900123",
    "bridge",
    "river walks",
    "You have done this before.",
    "Test practice",
    "PROMPT-OF-A",
    "LINE-OF-A",
    "SCRIPT-OF-A",
    "NOTE-OF-A",
)


@pytest.fixture
def two_practices(make_user, therapist, client_with_history):
    from datetime import date

    from planner.admin import practice_staff_group
    from planner.models import PracticeCrisisResource, PromptTemplate

    robin = client_with_history
    practice_a = therapist.practice
    PromptTemplate.objects.create(
        key="a-own", practice=practice_a, category="coping", kinds=[], text="PROMPT-OF-A"
    )
    PracticeCrisisResource.objects.create(
        practice=practice_a,
        country="GB",
        name="LINE-OF-A",
        hours="always",
        source="https://example.org/a",
        checked_on=date(2026, 1, 1),
    )
    api_token(robin.user)
    colleague_a = make_user("therapist", email="alex@a.example", practice=practice_a)
    plan = ContinuityPlan.objects.create(
        therapist=therapist, colleague=colleague_a, script="SCRIPT-OF-A"
    )
    plan.call_clients.add(robin)
    ContinuityCall.objects.create(
        plan=plan,
        client=robin,
        made_by=colleague_a,
        called_at=NOW,
        outcome="reached",
        note="NOTE-OF-A",
    )
    practice_b = Practice.objects.create(name="Elsewhere")
    therapist_b = make_user("therapist", email="bea@elsewhere.example", practice=practice_b)
    Client.objects.create(therapist=therapist_b, first_name="Bertha", channels=["inbox"])
    staff_b = make_user("staff", email="staff@elsewhere.example", practice=practice_b)
    staff_b.is_staff = True
    staff_b.save(update_fields=["is_staff"])
    staff_b.groups.add(practice_staff_group())
    staff_a = make_user("staff", email="staff@a.example", practice=practice_a)
    staff_a.is_staff = True
    staff_a.save(update_fields=["is_staff"])
    staff_a.groups.add(practice_staff_group())
    return robin, staff_a, staff_b


def practice_a_objects(robin: Client) -> dict[type, list]:
    """Every admin-visible object of practice A, found without the admin's own scoping."""
    from knox.models import AuthToken

    from core.models import User
    from planner.models import (
        AuditEvent,
        Delivery,
        PracticeCrisisResource,
        PromptTemplate,
    )

    therapist = robin.therapist
    return {
        Client: [robin],
        Break: list(robin.breaks.all()),
        ScheduledPrompt: list(ScheduledPrompt.objects.filter(client=robin)[:3]),
        Delivery: list(Delivery.objects.filter(prompt__client=robin)),
        InboxMessage: list(InboxMessage.objects.filter(client=robin)),
        CheckIn: list(CheckIn.objects.filter(client=robin)),
        Escalation: list(Escalation.objects.filter(client=robin)),
        BreakReview: list(BreakReview.objects.filter(break_obj__client=robin)),
        ConsentRecord: list(ConsentRecord.objects.filter(client=robin)),
        AuditEvent: list(AuditEvent.objects.filter(client=robin)[:3]),
        User: [therapist, robin.user],
        Practice: [therapist.practice],
        PromptTemplate: list(PromptTemplate.objects.filter(practice=therapist.practice)),
        PracticeCrisisResource: list(PracticeCrisisResource.objects.all()),
        AuthToken: list(AuthToken.objects.filter(user=robin.user)),
        ContinuityPlan: list(ContinuityPlan.objects.filter(therapist=therapist)),
        ContinuityCall: list(ContinuityCall.objects.filter(client=robin)),
    }


def _admin_object_routes() -> dict[type, list]:
    """model -> the admin URL patterns that take one of its objects' ids."""
    from django.contrib import admin

    routes: dict[type, list] = {}
    for pattern in url_patterns_with_ids(exclude_prefixes=()):
        if not pattern.route.startswith("admin/") or "object_id" not in str(pattern.params):
            continue
        for model in admin.site._registry:
            prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
            if pattern.name and pattern.name.startswith(prefix):
                routes.setdefault(model, []).append(pattern)
    return routes


def _assert_no_a_data(text: str, where: str) -> None:
    leaked = [marker for marker in A_MARKERS if marker.lower() in text.lower()]
    assert not leaked, f"{where} shows {leaked}"


def test_staff_of_another_practice_see_nothing_of_practice_a_in_the_admin(client, two_practices):
    from django.contrib import admin
    from django.contrib.auth.models import Group
    from django.urls import reverse

    from core.models import LoginAttempt, WorkerHeartbeat
    from planner.models import SignedLinkUse

    robin, _staff_a, staff_b = two_practices
    objects = practice_a_objects(robin)
    operator_only = {LoginAttempt, WorkerHeartbeat, SignedLinkUse, Group}
    # Every registered model is swept: a new one must join practice_a_objects (or be the
    # operator's alone).
    assert set(admin.site._registry) == set(objects) | operator_only
    assert all(objects[model] for model in objects), "practice A has one of everything"
    before = snapshot(robin)
    client.force_login(staff_b)
    checked = 0
    for model in admin.site._registry:
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        # Searches that match Robin's name and number without echoing a marker themselves.
        for url in (changelist, f"{changelist}?q=obi", f"{changelist}?q=900123"):
            response = client.get(url)
            assert response.status_code in (200, 403), (url, response.status_code)
            _assert_no_a_data(response.content.decode(), url)
            checked += 1
    routes = _admin_object_routes()
    for model, rows in objects.items():
        assert routes.get(model), f"no admin routes found for {model.__name__}"
        for obj in rows:
            for pattern in routes[model]:
                url = pattern.url(object_id=obj.pk)
                for method in ("get", "post"):
                    response = getattr(client, method)(url)
                    assert response.status_code in (403, 404), (
                        f"{method.upper()} {url} answered {response.status_code}"
                    )
                    _assert_no_a_data(response.content.decode(), f"{method.upper()} {url}")
                    checked += 1
    assert snapshot(robin) == before
    assert checked > 150


def test_the_admin_sweep_would_notice_a_leak(client, two_practices):
    """Practice A's own staff do see Robin, and practice B's staff see their own client: the
    querysets are filtered, not empty."""
    robin, staff_a, staff_b = two_practices
    client.force_login(staff_a)
    assert client.get(f"/admin/planner/client/{robin.pk}/change/").status_code == 200
    assert "Robin" in client.get("/admin/planner/client/?q=Robin").content.decode()
    client.force_login(staff_b)
    page = client.get("/admin/planner/client/").content.decode()
    bertha = Client.objects.get(first_name="Bertha")
    assert f"/admin/planner/client/{bertha.pk}/change/" in page


# --- The covering clinician's pages against the API's covering view --------------------------
# One selector (planner.breaks.selectors.covering_view) decides what a covering clinician sees;
# the page marks each field it shows with data-field, and must show exactly the API's fields,
# with the same values, and nothing the API withholds.


class _Fields(HTMLParser):
    """data-field elements: name -> {"value": data-value, "text": inner text, "times": [...]}."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, dict] = {}
        self._open: list[tuple[str | None, str]] = []  # (field or None, tag)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("data-field")
        if name is not None:
            assert name not in self.fields, f"{name} shown twice"
            self.fields[name] = {"value": attrs.get("data-value"), "text": "", "times": []}
        if tag not in ("br", "img", "input", "meta", "link"):
            self._open.append((name, tag))
        for field, _tag in self._open:
            if field is not None and tag == "time":
                self.fields[field]["times"].append(attrs["datetime"])

    def handle_endtag(self, tag):
        if self._open and tag not in ("br", "img", "input", "meta", "link"):
            self._open.pop()

    def handle_data(self, data):
        for field, _tag in self._open:
            if field is not None:
                self.fields[field]["text"] += data


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.fixture
def covered(make_user, client_with_history):
    robin = client_with_history
    covering = make_user("therapist", email="cory@example.com", first_name="Cory")
    brk = robin.breaks.get()
    Break.objects.filter(pk=brk.pk).update(
        covering_user=covering,
        covering_clinician={"name": "Cory Cover", "phone": "+441632960001", "email": "c@x.org"},
        warning_signs=["WARN-SIGN-A"],
        distractions=["PEOPLE-PLACES-A"],
        reasons_for_hope=["HOPE-A"],
        environment_safety=["SAFER-A"],
        professional_contacts=["GP-A"],
    )
    brk.refresh_from_db()
    return brk, covering


@pytest.mark.parametrize("shared", [True, False], ids=["shared", "not-shared"])
def test_the_covering_page_shows_exactly_the_apis_covering_view(client, covered, shared):
    from datetime import datetime

    from planner.api.serializers import BreakSerializer

    brk, covering = covered
    Break.objects.filter(pk=brk.pk).update(share_check_ins_with_covering=shared)
    brk.refresh_from_db()
    client.force_login(covering)
    api = client.get(f"/api/v1/breaks/{brk.pk}/").json()
    assert api["view"] == "covering"
    response = client.get(f"/breaks/{brk.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    parser = _Fields()
    parser.feed(page)
    shown = parser.fields
    assert set(shown) == set(api) - {"view"}, "the page's fields are the API's fields"
    for name, value in api.items():
        if name == "view":
            continue
        field = shown[name]
        if isinstance(value, bool):
            assert field["value"] == str(value).lower(), name
        elif name.endswith("_at"):
            times = [datetime.fromisoformat(t) for t in field["times"]]
            expected = [] if value is None else [datetime.fromisoformat(value)]
            assert times == expected, name
        elif isinstance(value, str | int):
            assert field["value"] == str(value), name
        else:  # the covering clinician, the client's people: every value, and only those
            for text in _strings(value):
                assert text in field["text"], (name, text)
    assert ("Jamie" in page) is shared  # the client's people only when shared
    # Whatever the therapist's view holds and the covering view does not is not on the page.
    full = BreakSerializer(brk).data
    withheld = [
        text
        for name in set(full) - set(api)
        for text in _strings(full[name])
        if len(text) >= 4 and not text[:4].isdigit()
    ]
    assert "You have done this before." in withheld and "WARN-SIGN-A" in withheld
    for text in withheld:
        assert text not in page, text
    for prompt in brk.prompts.all():
        assert prompt.text not in page
    for personal in ("Example", "robin@example.com", "+447700900123"):  # last name, contacts
        assert personal not in page and personal not in str(api)


@time_machine.travel(NOW + timedelta(days=12), tick=False)  # during the break
def test_the_covering_check_ins_page_lists_what_the_api_lists(client, covered):
    brk, covering = covered
    Break.objects.filter(pk=brk.pk).update(share_check_ins_with_covering=True)
    client.force_login(covering)
    api = client.get(f"/api/v1/breaks/{brk.pk}/check-ins/").json()["results"]
    page = client.get(f"/breaks/{brk.pk}/check-ins/").content.decode()
    assert [c["note"] for c in api] == ["A hard night on the bridge."]
    for check_in in api:
        assert check_in["note"] in page
    assert "river walks" not in page  # the after-break review is the therapist's only
    Break.objects.filter(pk=brk.pk).update(share_check_ins_with_covering=False)
    assert client.get(f"/breaks/{brk.pk}/check-ins/").status_code == 404
    assert client.get(f"/api/v1/breaks/{brk.pk}/check-ins/").status_code == 404


def test_a_soft_deleted_clients_break_is_gone_for_the_covering_clinician(client, covered):
    brk, covering = covered
    Break.objects.filter(pk=brk.pk).update(share_check_ins_with_covering=True)
    Client.objects.filter(pk=brk.client_id).update(deleted_at=brk.starts_at)
    client.force_login(covering)
    for url in (f"/breaks/{brk.pk}/", f"/breaks/{brk.pk}/check-ins/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "bridge" not in response.content.decode()
    assert client.get(f"/api/v1/breaks/{brk.pk}/check-ins/").status_code == 404
