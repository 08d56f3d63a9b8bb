""" "This helped" / "Not for me", and the lean to coping after a high check-in."""

from __future__ import annotations

from datetime import timedelta

import pytest

from planner.checkins.services import checkin_record
from planner.models import ScheduledPrompt
from tests.helpers import NOW

pytestmark = pytest.mark.django_db


def test_not_for_me_removes_its_template_from_the_unsent_prompts(mapped):
    prompts = list(mapped.brk.prompts.order_by("send_at"))
    first, later = prompts[0], prompts[-2]
    # The message that went out used the template a later, unsent prompt is planned with.
    ScheduledPrompt.objects.filter(pk=first.pk).update(template=later.template)
    key = later.template.key
    assert mapped.brk.prompts.filter(status="pending", template__key=key).exists()
    message = mapped.deliver(ScheduledPrompt.objects.get(pk=first.pk))
    api = mapped.api(mapped.client.user)
    answer = api.post(f"/api/v1/me/inbox/{message.pk}/feedback/", {"helpful": False}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["feedback"] is False and answer.json()["template"] == key
    unsent = mapped.brk.prompts.filter(status="pending")
    assert unsent.exists() and not unsent.filter(template__key=key).exists()
    listed = api.get("/api/v1/me/inbox/").json()["results"][0]
    assert listed["template"] == key and listed["feedback"] is False


def test_feedback_can_be_changed_and_is_only_true_or_false(mapped):
    message = mapped.deliver(mapped.brk.prompts.order_by("send_at").first())
    api = mapped.api(mapped.client.user)
    url = f"/api/v1/me/inbox/{message.pk}/feedback/"
    assert api.post(url, {"helpful": "yes"}, format="json").status_code == 400
    assert api.post(url, {}, format="json").status_code == 400
    assert api.post(url, {"helpful": False}, format="json").status_code == 200
    assert api.post(url, {"helpful": True}, format="json").json()["feedback"] is True


def test_someone_elses_message_is_a_404(mapped, make_user):
    message = mapped.deliver(mapped.brk.prompts.order_by("send_at").first())
    stranger = make_user("client")
    from planner.breaks import services

    other = services.client_create(therapist=mapped.therapist, first_name="Sam")
    other.user = stranger
    other.save(update_fields=["user"])
    url = f"/api/v1/me/inbox/{message.pk}/feedback/"
    assert mapped.api(stranger).post(url, {"helpful": False}, format="json").status_code == 404
    assert (
        mapped.api(mapped.therapist).post(url, {"helpful": False}, format="json").status_code == 403
    )


def test_after_a_high_check_in_the_fillers_lean_to_coping_and_carry_the_crisis_line(mapped, frozen):
    frozen.move_to(NOW + timedelta(days=3))
    checkin_record(client=mapped.client, distress=9, actor=mapped.client.user)
    later = mapped.brk.prompts.filter(status="pending", send_at__gt=NOW + timedelta(days=3))
    next_invitation = later.filter(category="check_in").order_by("send_at").first()
    leaning = later.filter(send_at__lt=next_invitation.send_at).exclude(
        category__in=["check_in", "countdown", "return", "review", "first_contact"]
    )
    assert leaning.exists()
    for prompt in leaning:
        assert prompt.category in ("coping", "grounding")
        assert "Between is not an emergency service." in prompt.text
        assert "Samaritans" in prompt.text  # the client's country (GB) has this line
    # The next check-in that is not high ends the lean: the crisis line leaves the prompts.
    frozen.move_to(NOW + timedelta(days=3, hours=1))
    checkin_record(client=mapped.client, distress=2, actor=mapped.client.user)
    assert not mapped.brk.prompts.filter(
        status="pending", text__contains="not an emergency service"
    ).exists()
