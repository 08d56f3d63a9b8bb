"""The staff dispatch figures: `manage.py dispatch_status` and /staff/dispatch/."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from planner.models import ScheduledPrompt
from tests.factories import (
    BreakFactory,
    DeliveryFactory,
    EmailClientFactory,
    ScheduledPromptFactory,
)


@pytest.fixture
def figures_data(therapist):
    brk = BreakFactory(client=EmailClientFactory(therapist=therapist), now=timezone.now())
    now = timezone.now()
    ScheduledPromptFactory(break_obj=brk, send_at=now - timedelta(minutes=10))  # backlog
    done = ScheduledPromptFactory(break_obj=brk, send_at=now - timedelta(hours=1))
    ScheduledPrompt.objects.filter(pk=done.pk).update(status="unconfirmed", finished_at=now)
    DeliveryFactory(prompt=done, channel="email", status="unconfirmed")


def test_dispatch_status_prints_the_figures(figures_data):
    out = StringIO()
    call_command("dispatch_status", stdout=out)
    text = out.getvalue()
    assert "backlog (due, not finished): 1" in text
    assert "last 24 h: unconfirmed=1" in text
    assert "unconfirmed deliveries: 1" in text


def test_the_staff_dispatch_page_is_for_staff_only(client, make_user, therapist, figures_data):
    client.force_login(therapist)
    assert client.get("/staff/dispatch/").status_code == 404
    client.force_login(make_user("staff", is_staff=True))
    response = client.get("/staff/dispatch/")
    assert response.status_code == 200
    assert b'<dd id="backlog">1</dd>' in response.content
