"""Pages behind the signed links in email and SMS: open the inbox, unsubscribe from email.

An expired or tampered link is a friendly 400 page, never a 500.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model, login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from planner import links
from planner.consent import channel_consent_set
from planner.models import Client

INBOX_PATH = "/me/inbox/"


def _link_error(request: HttpRequest) -> HttpResponse:
    return render(request, "planner/links/expired.html", status=400)


@require_http_methods(["GET"])
def inbox_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        payload = links.read(token, "inbox")
    except links.LinkError:
        return _link_error(request)
    user = get_user_model().objects.filter(pk=payload.user_id, is_active=True).first()
    if user is None or not Client.objects.filter(user=user, deleted_at__isnull=True).exists():
        return _link_error(request)
    if request.user.pk != user.pk:
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect(INBOX_PATH)


# The signed token is what authorises this, and RFC 8058 one-click unsubscribe is a POST from
# the mail provider without a session or CSRF token; GET never changes anything.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        payload = links.read(token, "unsubscribe")
    except links.LinkError:
        return _link_error(request)
    client = Client.objects.filter(pk=payload.object_id, deleted_at__isnull=True).first()
    if client is None or (payload.user_id is not None and client.user_id != payload.user_id):
        return _link_error(request)
    if request.method == "GET":
        return render(request, "planner/links/unsubscribe.html", {"done": False})
    if "email" in (client.channels or []):
        channel_consent_set(client=client, channel="email", granted=False, source="unsubscribe")
    return render(request, "planner/links/unsubscribe.html", {"done": True})
