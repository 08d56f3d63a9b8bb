# Issue 13 (integrity): the delivery channels' circuit breaker, and data written before the
# input rules existed, made to fit them.

from datetime import UTC, datetime

import django.utils.timezone
from django.db import migrations, models
from django.db.models import Q
from django.utils import timezone

# The window of planner.breaks.validation (the years 2000 to 2099), copied: a migration must
# not change when the code does.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
DATE_FIELDS = ("starts_at", "ends_at", "return_session_at", "notice_given_at")


def cancel_drafts_outside_the_date_window(apps, schema_editor):
    """Drafts with a date like year 1 or 9999 (typed into the plan builder before the rule)
    could be neither activated nor drawn in another zone; they are cancelled, with an audit row
    saying why, and the therapist plans again (a new plan starts from the cancelled one)."""
    Break = apps.get_model("planner", "Break")
    AuditEvent = apps.get_model("planner", "AuditEvent")
    outside = Q()
    for name in DATE_FIELDS:
        outside |= Q(**{f"{name}__lt": EARLIEST}) | Q(**{f"{name}__gte": LATEST})
    now = timezone.now()
    for brk in Break.objects.filter(outside, status="draft").only("id", "client_id"):
        Break.objects.filter(pk=brk.pk).update(status="cancelled", cancelled_at=now)
        AuditEvent.objects.create(
            at=now,
            action="break.cancelled",
            client_id=brk.client_id,
            object_type="break",
            object_id=str(brk.pk),
            detail={"reason": "a date outside the years 2000 to 2099", "by": "migration"},
        )


def phones_to_e164(apps, schema_editor):
    """Clients' phone numbers in E.164, as the SMS webhook receives them (a STOP from
    +447700900124 never matched a stored "+44 7700 900124"). A number read in the client's
    country; one that does not parse as a possible number is left as it is."""
    import phonenumbers

    Client = apps.get_model("planner", "Client")
    for client in Client.objects.exclude(phone="").only("id", "phone", "country"):
        region = client.country.upper() if len(client.country or "") == 2 else None
        try:
            number = phonenumbers.parse(client.phone.strip(), region)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_possible_number(number):
            continue
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if e164 != client.phone:
            Client.objects.filter(pk=client.pk).update(phone=e164)


class Migration(migrations.Migration):

    dependencies = [
        ("planner", "0006_onboarding"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChannelCircuit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("channel", models.CharField(choices=[("inbox", "In-app inbox"), ("email", "Email"), ("sms", "SMS")], max_length=16, unique=True)),
                ("consecutive_failures", models.PositiveIntegerField(default=0)),
                ("paused_since", models.DateTimeField(blank=True, null=True)),
                ("paused_until", models.DateTimeField(blank=True, null=True)),
                ("last_error", models.CharField(blank=True, max_length=200)),
                ("last_failure_at", models.DateTimeField(blank=True, null=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={"ordering": ["channel"]},
        ),
        migrations.CreateModel(
            name="InboundSms",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("message_sid", models.CharField(max_length=64, unique=True)),
                ("received_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.RunPython(cancel_drafts_outside_the_date_window, migrations.RunPython.noop),
        migrations.RunPython(phones_to_e164, migrations.RunPython.noop),
    ]
