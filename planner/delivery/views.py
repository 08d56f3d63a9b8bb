"""Pages behind the signed links in email and SMS: open the inbox, unsubscribe from email.

An expired, used or tampered link is a friendly 400 page, never a 500.
"""

from __future__ import annotations

import hashlib
import logging
from html import escape

from django.conf import settings
from django.contrib.auth import get_user_model, login, logout
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from core.middleware import limit_session, limited_session_allowed
from planner.breaks.validation import phone_for_lookup
from planner.crisis import resources_for_client
from planner.delivery import inbound, links
from planner.models import Client
from planner.privacy.consent import channel_consent_set

logger = logging.getLogger(__name__)

INBOX_PATH = "/me/inbox/"


def _link_error(request: HttpRequest) -> HttpResponse:
    return render(request, "planner/delivery/expired.html", status=400)


@limited_session_allowed
@require_http_methods(["GET", "POST"])
def inbox_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an email or SMS prompt: opens the client's inbox, once, without a password.

    GET never acts (a mail scanner that follows links spends nothing) and shows no message:
    it asks "open your messages?", and, in a browser logged in as someone else, says so
    first instead of switching. POST uses the link up and opens a session that reads the
    inbox and My break only; everything else asks for the password first
    (core.middleware.LimitedSessionMiddleware). A used or expired link says to log in.
    """
    try:
        payload = links.read(token, "inbox")
    except links.LinkError:
        return _link_error(request)
    if payload.user_id is None:
        return _link_error(request)
    user = get_user_model().objects.filter(pk=payload.user_id, is_active=True).first()
    if user is None or not Client.objects.filter(user=user, deleted_at__isnull=True).exists():
        return _link_error(request)
    if request.user.pk == user.pk:
        return redirect(INBOX_PATH)  # already logged in as them: the link stays unused
    someone_else = request.user.is_authenticated
    if request.method == "GET":
        return render(request, "planner/delivery/inbox_link.html", {"someone_else": someone_else})
    try:
        with transaction.atomic():
            links.consume(payload)
    except links.LinkError:
        return _link_error(request)
    if someone_else:
        logout(request)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    limit_session(request)
    logger.info("link.inbox_opened user=%s", user.pk)
    return redirect(INBOX_PATH)


# The signed token is what authorises this, and RFC 8058 one-click unsubscribe is a POST from
# the mail provider without a session or CSRF token; GET never changes anything.
@limited_session_allowed
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        payload = links.read(token, "unsubscribe")
    except links.LinkError:
        return _link_error(request)
    if payload.object_id is None:
        return _link_error(request)
    client = Client.objects.filter(pk=payload.object_id, deleted_at__isnull=True).first()
    if client is None or (payload.user_id is not None and client.user_id != payload.user_id):
        return _link_error(request)
    if request.method == "GET":
        return render(request, "planner/delivery/unsubscribe.html", {"done": False})
    if "email" in (client.channels or []):
        channel_consent_set(client=client, channel="email", granted=False, source="unsubscribe")
    return render(request, "planner/delivery/unsubscribe.html", {"done": True})


# --- Inbound SMS from Twilio: STOP/START keywords switch the SMS channel and are recorded. ---


EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
REPLY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>{}</Message></Response>'
# Once per number in this many hours, a reply says that replies are not read.
AUTO_REPLY_HOURS = 24


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
    sender = request.POST.get("From", "")
    done = inbound.sms_received(
        message_sid=request.POST.get("MessageSid", ""),
        sender=sender,
        body=request.POST.get("Body", ""),
    )
    logger.info("webhook.sms result=%s", done)  # stop, start, other or duplicate: no text
    if done == "other" and sender:
        reply = sms_auto_reply(sender)
        if reply:
            return HttpResponse(REPLY_TWIML.format(escape(reply)), content_type="text/xml")
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


def sms_auto_reply(number: str) -> str:
    """The one answer to any other reply (once per number per AUTO_REPLY_HOURS): replies are
    not read, and where to turn now. "" when it was sent recently, or the number is unknown."""
    phone = phone_for_lookup(number)  # stored numbers are E.164, as Twilio writes From
    if phone is None:
        return ""
    client = Client.objects.filter(phone=phone, deleted_at__isnull=True).first()
    if client is None:
        return ""
    key = "sms-auto-reply:" + hashlib.sha256(phone.encode()).hexdigest()
    try:
        first_time = cache.add(key, 1, timeout=AUTO_REPLY_HOURS * 3600)
    except Exception:  # the cache is down: no answer rather than one to every message
        logger.warning("webhook.sms.auto_reply_unavailable")
        return ""
    if not first_time:
        return ""  # answered recently: say it once, not to every message
    crisis = resources_for_client(client)
    parts = ["Between: replies to this number are not read."]
    lines = [r for r in crisis["resources"] if r.get("phone") or r.get("sms")]
    if lines:
        first = lines[0]
        how = f"call {first['phone']}" if first.get("phone") else f"text {first['sms']}"
        parts.append(f"If you need to talk to someone now, {first['name']}: {how}.")
    if crisis["emergency"]:
        parts.append(f"In an emergency call {crisis['emergency']}.")
    else:
        parts.append("In an emergency call your local emergency number.")
    return " ".join(parts)
