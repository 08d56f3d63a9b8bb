"""Rows for delivery tests, created directly (there is no services module yet)."""

from __future__ import annotations

from datetime import datetime, timedelta

from planner.models import Break, Client, ScheduledPrompt


def make_client(therapist, **fields) -> Client:
    fields.setdefault("first_name", "Robin")
    fields.setdefault("email", "robin@example.com")
    fields.setdefault("phone", "+447700900123")
    fields.setdefault("timezone", "UTC")
    fields.setdefault("channels", ["inbox", "email"])
    return Client.objects.create(therapist=therapist, **fields)


def make_break(client: Client, *, now: datetime, **fields) -> Break:
    fields.setdefault("kind", Break.Kind.HOLIDAY)
    fields.setdefault("status", Break.Status.ACTIVE)
    fields.setdefault("timezone", client.timezone)
    return Break.objects.create(
        client=client,
        therapist=client.therapist,
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=10),
        **fields,
    )


def make_prompt(brk: Break, *, send_at: datetime, **fields) -> ScheduledPrompt:
    fields.setdefault("category", "coping")
    fields.setdefault("text", "Try the breathing exercise you chose: in for four, out for six.")
    fields.setdefault("valid_until", send_at + timedelta(hours=3))
    fields.setdefault("plan_version", brk.plan_version)
    return ScheduledPrompt.objects.create(
        break_obj=brk, client=brk.client, send_at=send_at, due_at=send_at, **fields
    )
