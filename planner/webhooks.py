"""Inbound SMS from Twilio: STOP/START keywords switch the SMS channel and are recorded."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from planner.consent import channel_consent_set
from planner.models import Client

logger = logging.getLogger(__name__)

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def signature_valid(request: HttpRequest) -> bool:
    from twilio.request_validator import RequestValidator

    if not settings.TWILIO_AUTH_TOKEN:
        return False
    # Twilio signs the public URL it was configured with: SITE_URL + path (behind a proxy the
    # request's own host and scheme may differ).
    url = f"{settings.SITE_URL}{request.get_full_path()}"
    signature = request.headers.get("X-Twilio-Signature", "")
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(
        url, request.POST.dict(), signature
    )


@csrf_exempt
@require_POST
def sms_webhook(request: HttpRequest) -> HttpResponse:
    if not signature_valid(request):
        logger.warning("webhook.sms.bad_signature")
        return HttpResponseForbidden("invalid signature")
    keyword = request.POST.get("Body", "").strip().split(maxsplit=1)
    keyword = keyword[0].upper() if keyword else ""
    number = request.POST.get("From", "")
    granted = True if keyword in START_WORDS else False if keyword in STOP_WORDS else None
    if granted is not None and number:
        source = "sms-stop" if not granted else "sms-start"
        for client in Client.objects.filter(phone=number, deleted_at__isnull=True):
            channel_consent_set(client=client, channel="sms", granted=granted, source=source)
    logger.info("webhook.sms keyword=%s", keyword if granted is not None else "other")
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")
