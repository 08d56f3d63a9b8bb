from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control

# No inline scripts or styles: every script and stylesheet is a static file.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI (drf-spectacular) needs its own inline bootstrap script.
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            docs = request.path.startswith("/api/docs") or request.path.startswith("/admin/")
            response["Content-Security-Policy"] = DOCS_CSP if docs else CSP
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every answer but static files and ``/healthz``.

    Nearly every page and API answer holds someone's personal data (a plan, a check-in, an
    inbox); no browser, proxy or shared cache may keep a copy. Static files are served by
    WhiteNoise before this runs, with their own long cache headers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        path = request.path
        personal = not (path.startswith(settings.STATIC_URL) or path == "/healthz")
        if personal and "no-store" not in response.get("Cache-Control", ""):
            patch_cache_control(response, no_store=True)
        return response


# --- Sessions opened by a link: the inbox and My break, nothing else without the password ----

LIMITED_SESSION_KEY = "between.limited"
# How long a session opened by a link lasts before the client logs in again.
LIMITED_SESSION_SECONDS = 2 * 60 * 60


def limited_session_allowed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a view that a session opened by a link may use (reading the inbox, My break)."""
    view.limited_session_allowed = True  # type: ignore[attr-defined]
    return view


def limit_session(request: HttpRequest) -> None:
    """Mark the (just logged-in) session as opened by a link, and keep it short."""
    request.session[LIMITED_SESSION_KEY] = True
    request.session.set_expiry(LIMITED_SESSION_SECONDS)


def session_is_limited(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    return bool(session is not None and session.get(LIMITED_SESSION_KEY))


def lift_limit(request: HttpRequest) -> None:
    """The password was given: a full session, with a new key and the usual lifetime."""
    request.session.pop(LIMITED_SESSION_KEY, None)
    request.session.set_expiry(None)
    request.session.cycle_key()


class LimitedSessionMiddleware:
    """Default-deny for a session opened by an email or SMS link.

    Only views marked ``@limited_session_allowed`` answer; any other page asks for the
    password first ("enter your password to continue"), and the API answers 403 to such a
    session (a request with its own ``Authorization`` token is not using the session).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if not session_is_limited(request) or getattr(view_func, "limited_session_allowed", False):
            return None
        if request.path.startswith("/api/"):
            if request.META.get("HTTP_AUTHORIZATION"):
                return None
            return JsonResponse({"detail": PASSWORD_NEEDED}, status=403)
        target = reverse("password-confirm") + "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(target)


PASSWORD_NEEDED = "Enter your password to continue."  # noqa: S105 - a sentence, not a secret
