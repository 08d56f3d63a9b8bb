"""Export and erasure (issue 9): the export holds the client's data and no one else's; erasure
removes personal data and text and keeps anonymous counts."""

from __future__ import annotations

from tests.helpers import a_break


def test_export_holds_the_clients_data_and_no_one_elses(therapist, client_with_history):
    import json

    from planner.breaks import services
    from planner.models import AuditEvent
    from planner.privacy.services import client_export

    other = services.client_create(
        therapist=therapist, first_name="Sam", email="sam@example.com", country="GB"
    )
    a_break(therapist, other, coping_strategies=["Sam's own secret"])
    data = client_export(client=client_with_history, actor=client_with_history.user)
    text = json.dumps(data)  # JSON-serialisable
    assert data["client"]["first_name"] == "Robin"
    assert data["client"]["phone"] == "+447700900123"
    assert data["breaks"][0]["coping_strategies"] == ["a walk by the river"]
    assert data["breaks"][0]["therapist_note"] == "You have done this before."
    assert {p["status"] for p in data["prompts"]} >= {"sent", "failed", "pending"}
    assert all(p["text"] for p in data["prompts"])
    assert len(data["inbox"]) == 2
    assert data["check_ins"][0]["note"] == "A hard night on the bridge."
    assert data["escalations"][0]["status"] == "notified"
    assert data["reviews"][0]["what_helped"] == "The river walks."
    assert {(c["subject"], c["granted"]) for c in data["consents"]} >= {
        ("email", True),
        ("escalation", True),
    }
    assert "Sam" not in text
    assert "sam@example.com" not in text
    assert AuditEvent.objects.filter(action="client.exported", client=client_with_history).exists()


def prompt_counts(client):
    from django.db.models import Count

    from planner.models import ScheduledPrompt

    return dict(
        ScheduledPrompt.objects.filter(client=client)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )


def test_erase_removes_personal_data_and_text_and_keeps_counts(
    therapist, client_with_history, django_capture_on_commit_callbacks, mailoutbox
):
    from django.db.models import Q

    from planner.models import (
        AuditEvent,
        Break,
        BreakReview,
        CheckIn,
        Client,
        ConsentRecord,
        InboxMessage,
        ScheduledPrompt,
    )
    from planner.privacy.services import client_erase

    client = client_with_history
    login = client.user
    counts = prompt_counts(client)
    pending = counts["pending"]
    consents = ConsentRecord.objects.filter(client=client).count()
    with django_capture_on_commit_callbacks(execute=True):
        client_erase(client=client, actor=login)

    client = Client.objects.get(pk=client.pk)
    assert client.deleted_at is not None
    assert (client.first_name, client.last_name, client.email, client.phone) == ("", "", "", "")
    login.refresh_from_db()
    assert login.email == f"deleted-{login.pk}@invalid"
    assert not login.is_active
    assert not login.has_usable_password()
    assert (login.first_name, login.phone) == ("", "")
    brk = Break.objects.get(client=client)
    assert brk.status == Break.Status.CANCELLED
    assert brk.coping_strategies == [] and brk.support_contacts == []
    assert brk.therapist_note == "" and brk.covering_clinician is None
    assert not ScheduledPrompt.objects.filter(client=client).exclude(text="").exists()
    assert not InboxMessage.objects.filter(client=client).exclude(text="").exists()
    assert CheckIn.objects.get(client=client).note == ""
    assert BreakReview.objects.get(break_obj=brk).what_helped == ""
    # Anonymous counts survive: sent and failed as they were, pending now skipped.
    after = prompt_counts(client)
    assert after["sent"] == counts["sent"] == 2
    assert after["failed"] == counts["failed"] == 1
    assert after.get("pending", 0) == 0
    assert after["skipped"] == pending
    assert (
        ScheduledPrompt.objects.filter(
            client=client, skip_reason=ScheduledPrompt.SkipReason.CLIENT_DELETED
        ).count()
        == pending
    )
    assert InboxMessage.objects.filter(client=client).count() == 2
    assert ConsentRecord.objects.filter(client=client).count() == consents
    assert AuditEvent.objects.filter(action="client.erased", client=client).exists()
    # No trace of Robin in the rows that remain.
    assert not Client.objects.filter(Q(first_name="Robin") | Q(email="robin@example.com")).exists()
    # The therapist is told, without the client's name.
    assert len(mailoutbox) == 1
    notice = mailoutbox[0]
    assert notice.to == [therapist.email]
    assert f"A client (id {client.pk}) asked for their data to be deleted" in notice.body
    assert "Robin" not in notice.body + notice.subject
