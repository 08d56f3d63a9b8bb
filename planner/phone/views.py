"""The phone app's pages: the manifest, the service worker, the offline page, devices.

``/sw.js`` is served from here, not from /static/, so that its scope is the whole site; its
code is static/js/sw.js. A service worker only keeps a copy of a page whose answer carries
the header of planner/phone/offline.py (My break, for its own logged-in client), so no
therapist's or staff page is ever cached on a device.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.http import AuthenticatedHttpRequest
from core.middleware import limited_session_allowed
from planner.me.views import client_required
from planner.models import Client
from planner.phone import offline as offline_copy
from planner.phone import selectors, services

THEME_COLOUR = "#245f73"


@limited_session_allowed
@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    data = {
        "name": "Between",
        "short_name": "Between",
        "description": _("Your plan for the break, your messages and crisis lines."),
        "start_url": "/me/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json")


@limited_session_allowed
@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    path = finders.find("js/sw.js")
    if not path:  # pragma: no cover - shipped with the code
        raise Http404("No service worker.")
    with open(path, encoding="utf-8") as handle:
        code = handle.read()
    config = {
        "icon": static("icons/icon-192.png"),
        "offlineUrl": "/offline/",
        "savedUrl": "/me/",
        "header": offline_copy.HEADER,
        "headerValue": offline_copy.VALUE,
    }
    body = f"self.BETWEEN = {json.dumps(config)};\n{code}"
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response


@limited_session_allowed
@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """What the service worker shows for a page it has no copy of (no personal data)."""
    return render(request, "planner/phone/offline.html")


@limited_session_allowed
def logout(request: HttpRequest) -> HttpResponseBase:
    """Django's logout, and the browser told to drop its copies of pages (the service
    worker also deletes the saved My break on this request: static/js/sw.js)."""
    response = auth_views.LogoutView.as_view()(request)
    response["Clear-Site-Data"] = '"cache"'
    return response


@client_required
@require_POST
def device_remove(
    request: AuthenticatedHttpRequest, client: Client, subscription_id: int
) -> HttpResponse:
    subscription = selectors.access_push_subscription(request.user, subscription_id)
    services.push_unsubscribe(subscription=subscription, actor=request.user)
    messages.success(request, _("That device gets no more notifications from Between."))
    return redirect("preferences")
