"""Pages for check-ins, the escalation acknowledgement link, and the after-break review.

Thin: access helpers find the object the person may see (404 otherwise), forms parse
input, and the services in planner.checkins do every write.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.http import AuthenticatedHttpRequest
from core.middleware import limited_session_allowed
from core.models import User
from planner.breaks.selectors import access_own_break, require_client
from planner.checkins import selectors
from planner.checkins import services as checkins
from planner.checkins.forms import CheckInForm, ReviewForm
from planner.checkins.selectors import access_escalation
from planner.crisis import resources_for_client
from planner.delivery import links
from planner.supportmap.selectors import added_after, break_is_over, helped_during

TEMPLATES = "planner/checkins/"


@login_required
@require_http_methods(["GET", "POST"])
def check_in(request: AuthenticatedHttpRequest) -> HttpResponse:
    client = require_client(request.user)
    form = CheckInForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            result = checkins.checkin_record(
                client=client,
                distress=form.cleaned_data["distress"],
                note=form.cleaned_data["note"],
                need_support_now=form.cleaned_data["need_support_now"],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            # Rendered, not redirected: the answer belongs to this one submission.
            return render(request, TEMPLATES + "result.html", {"result": result})
    return render(
        request,
        TEMPLATES + "form.html",
        {
            "form": form,
            "readers": selectors.readers_for(client),
            "crisis": resources_for_client(client),
        },
        status=400 if form.errors else 200,
    )


def _link_error(request: HttpRequest, exc: links.LinkError) -> HttpResponse:
    gone = exc.reason in ("expired", "used")
    if exc.reason == "used":
        message = _("This link has already been used. The request was acknowledged with it.")
    elif exc.reason == "expired":
        message = _("This link has expired. Please contact the practice directly.")
    else:
        message = _("This link is not valid. Please check that you copied all of it.")
    return render(
        request, TEMPLATES + "link_error.html", {"message": message}, status=410 if gone else 400
    )


# In the session of the browser that asked for a one-time code: the code's digest, expiry and
# tries (by link nonce); then the escalations that browser may read (by id, for a day).
CODES_KEY = "between.escalation_codes"
GRANTS_KEY = "between.escalation_grants"
GRANT_HOURS = 24


def _grants(request: HttpRequest) -> list[int]:
    at = timezone.now()
    stored = request.session.get(GRANTS_KEY, {})
    return [int(pk) for pk, until in stored.items() if datetime.fromisoformat(until) > at]


def _grant(request: HttpRequest, escalation_id: int) -> None:
    stored = dict(request.session.get(GRANTS_KEY, {}))
    stored[str(escalation_id)] = (timezone.now() + timedelta(hours=GRANT_HOURS)).isoformat()
    request.session[GRANTS_KEY] = stored


def _issued(request: HttpRequest, nonce: str) -> tuple[checkins.IssuedCode, int] | None:
    row = request.session.get(CODES_KEY, {}).get(nonce)
    if not row:
        return None
    issued = checkins.IssuedCode(
        nonce=nonce,
        digest=row["digest"],
        expires_at=datetime.fromisoformat(row["expires_at"]),
        channels=list(row["channels"]),
    )
    return issued, int(row["tries"])


def _store_code(request: HttpRequest, issued: checkins.IssuedCode, tries: int = 0) -> None:
    codes = dict(request.session.get(CODES_KEY, {}))
    codes[issued.nonce] = {
        "digest": issued.digest,
        "expires_at": issued.expires_at.isoformat(),
        "channels": issued.channels,
        "tries": tries,
    }
    request.session[CODES_KEY] = codes


def _forget_code(request: HttpRequest, nonce: str) -> None:
    codes = dict(request.session.get(CODES_KEY, {}))
    codes.pop(nonce, None)
    request.session[CODES_KEY] = codes


def _viewer(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _already_acknowledged(request: HttpRequest, token: str) -> HttpResponse | None:
    """A used link opens the check-in again for the person it was sent to."""
    try:
        link = checkins.escalation_link(token=token, allow_used=True)
        access_escalation(_viewer(request), link.escalation.pk, granted=_grants(request))
    except (links.LinkError, Http404):
        return None
    return redirect("escalation", escalation_id=link.escalation.pk)


def _someone_else(request: HttpRequest) -> HttpResponse:
    message = _("This link was sent to someone else. Please log out and open it again.")
    return render(request, TEMPLATES + "link_error.html", {"message": message}, status=403)


@limited_session_allowed
@require_http_methods(["GET", "POST"])
def escalation_ack(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the message to the covering clinician or the practice's fallback contact.

    GET never acts and shows no clinical content. A link bound to a colleague's account asks
    them to log in (and refuses anyone else logged in); POST acknowledges. A link bound to no
    account asks for a one-time code sent to the address the link went to; the right code
    acknowledges. Either way the check-in is then at /escalations/<id>/, for them only.
    """
    try:
        link = checkins.escalation_link(token=token)
    except links.LinkError as exc:
        if exc.reason == "used":
            again = _already_acknowledged(request, token)
            if again is not None:
                return again
        return _link_error(request, exc)
    user = _viewer(request)
    try:
        checkins.check_link_holder(link, user)
    except checkins.LoginNeeded:
        return redirect_to_login(request.get_full_path())
    except PermissionDenied:
        return _someone_else(request)
    if link.bound:
        if request.method == "GET":
            return render(request, TEMPLATES + "ack_confirm.html", {"escalation": link.escalation})
        try:
            escalation = checkins.escalation_acknowledge(token=token, user=user)
        except links.LinkError as exc:
            return _link_error(request, exc)
        return redirect("escalation", escalation_id=escalation.pk)
    return _by_code(request, token, link)


def _by_code(request: HttpRequest, token: str, link: checkins.AckLink) -> HttpResponse:
    nonce = link.payload.nonce
    issued = _issued(request, nonce)
    error = None
    if request.method == "POST" and request.POST.get("action") == "send":
        try:
            fresh = checkins.escalation_code_send(token=token)
        except ValidationError as exc:
            error = exc.messages[0]
        except links.LinkError as exc:
            return _link_error(request, exc)
        else:
            _store_code(request, fresh)
            issued = (fresh, 0)
    elif request.method == "POST" and request.POST.get("action") == "confirm":
        if issued is None:
            error = _("Ask for a code first.")
        elif issued[1] >= checkins.CODE_TRIES:
            error = _("Too many wrong codes. Ask for a new one.")
        elif checkins.escalation_code_matches(
            issued=issued[0], token=token, code=request.POST.get("code", "")
        ):
            try:
                escalation = checkins.escalation_acknowledge(
                    token=token, user=_viewer(request), code_confirmed=True
                )
            except links.LinkError as exc:
                return _link_error(request, exc)
            _forget_code(request, nonce)
            _grant(request, escalation.pk)
            return redirect("escalation", escalation_id=escalation.pk)
        else:
            _store_code(request, issued[0], tries=issued[1] + 1)
            error = _("That code is not right, or it has expired.")
    return render(
        request,
        TEMPLATES + "ack_code.html",
        {
            "escalation": link.escalation,
            "sent": issued is not None,
            "channels": issued[0].channels if issued else [],
            "minutes": checkins.CODE_MINUTES,
            "error": error,
        },
        status=400 if error else 200,
    )


@limited_session_allowed
@require_http_methods(["GET"])
def escalation_page(request: HttpRequest, escalation_id: int) -> HttpResponse:
    """An acknowledged escalation's check-in, for the person it was sent to (404 otherwise):
    it stays readable to them after the link is used."""
    escalation = checkins.escalation_read(
        user=_viewer(request), escalation_id=escalation_id, granted=_grants(request)
    )
    return render(
        request,
        TEMPLATES + "ack_done.html",
        {
            "escalation": escalation,
            "check_in": escalation.check_in,
            "client": escalation.client,
            "by_code": escalation.pk in _grants(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def review(request: AuthenticatedHttpRequest, break_id: int) -> HttpResponse:
    brk = access_own_break(request.user, break_id)
    if not selectors.review_is_open(brk):
        return render(request, TEMPLATES + "review_closed.html", {"break": brk})
    existing = selectors.review_for_break(brk=brk)
    initial = (
        {
            "what_helped": existing.what_helped,
            "what_was_hard": existing.what_was_hard,
            "what_to_change": existing.what_to_change,
        }
        if existing
        else None
    )
    form = ReviewForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            checkins.break_review_submit(brk=brk, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return render(request, TEMPLATES + "review_thanks.html", {"break": brk})
    return render(
        request,
        TEMPLATES + "review.html",
        {"form": form, "break": brk},
        status=400 if form.errors else 200,
    )


@login_required
def break_check_ins(request: AuthenticatedHttpRequest, break_id: int) -> HttpResponse:
    """The check-ins of one break, for the therapist (on return) or the covering clinician the
    client shared them with; the after-break review is the therapist's only."""
    brk, role, visible = checkins.check_ins_read(user=request.user, break_id=break_id)
    return render(
        request,
        TEMPLATES + "break_check_ins.html",
        {
            "break": brk,
            "check_ins": visible,
            "over": selectors.break_is_over(brk),
            "review": selectors.review_for_break(brk=brk) if role == "therapist" else None,
            "after_break": role == "therapist" and break_is_over(brk),
            "helped": helped_during(brk) if role == "therapist" else [],
            "added": added_after(brk) if role == "therapist" else [],
        },
    )
