"""Plain notifications to staff (covering clinician, practice fallback): email and SMS.

Callers pass bodies with no clinical content. These functions never run inside an open
transaction: they are called from Celery tasks after the rows they report on are committed.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail

from planner.delivery.channels.sms import get_sms_backend
from planner.models import Client


def send_plain_email(to: str, subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)


NOT_MONITORED = "Replies are not read."


def send_sms(to: str, body: str) -> str:
    """Send one SMS through the configured backend; returns the provider's message id.
    Every SMS says that replies are not read."""
    if NOT_MONITORED not in body:
        body = f"{body} {NOT_MONITORED}"
    return get_sms_backend().send(to=to, body=body)


# --- Notes to therapists. Neutral: no client name, no message text; a link to Between. -------


logger = logging.getLogger(__name__)


CHANNEL_NAMES = {"email": "email", "sms": "SMS", "push": "push notification"}


def channel_off_notify(*, client_id: int, break_id: int | None, channel: str) -> None:
    client = Client.objects.select_related("therapist").filter(pk=client_id).first()
    if client is None or not client.therapist.email:
        return
    link = f"{settings.SITE_URL}/breaks/{break_id}/" if break_id else settings.SITE_URL + "/"
    body = (
        f"A message to one of your clients could not be delivered by "
        f"{CHANNEL_NAMES.get(channel, channel)}; the channel is switched off. "
        f"See Between:\n{link}\n"
    )
    send_mail("A delivery problem in Between", body, None, [client.therapist.email])
    logger.info("notify.channel_off client=%s channel=%s", client_id, channel)
