"""Plain notifications to staff (covering clinician, practice fallback): email and SMS.

Callers pass bodies with no clinical content. These functions never run inside an open
transaction: they are called from Celery tasks after the rows they report on are committed.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail


def send_plain_email(to: str, subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)


def send_sms(to: str, body: str) -> str:
    """Send one SMS through the configured backend; returns the provider's message id."""
    # Imported here so this module loads before (and without) the channels package.
    from planner.channels.sms import get_sms_backend

    return get_sms_backend().send(to=to, body=body)
