"""Pages for check-ins, the escalation acknowledgement link, and the after-break review.

Thin: access helpers find the object the person may see (404 otherwise), forms parse
input, and the services in planner.checkins do every write.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.http import AuthenticatedHttpRequest
from core.models import User
from planner.breaks.selectors import access_own_break, require_client
from planner.checkins import selectors
from planner.checkins import services as checkins
from planner.checkins.forms import CheckInForm, ReviewForm
from planner.crisis import resources_for_client
from planner.delivery import links

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


@require_http_methods(["GET", "POST"])
def escalation_ack(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a confirm page (no clinical content). POST: acknowledge, then show the check-in."""
    try:
        if request.method == "GET":
            escalation = checkins.escalation_for_token(token=token)
            return render(request, TEMPLATES + "ack_confirm.html", {"escalation": escalation})
        user = request.user if isinstance(request.user, User) else None
        escalation = checkins.escalation_acknowledge(token=token, user=user)
    except links.LinkError as exc:
        return _link_error(request, exc)
    except PermissionDenied:
        return render(
            request,
            TEMPLATES + "link_error.html",
            {"message": _("This link was sent to someone else. Please log out and open it again.")},
            status=403,
        )
    check_in = escalation.check_in
    return render(
        request,
        TEMPLATES + "ack_done.html",
        {"escalation": escalation, "check_in": check_in, "client": escalation.client},
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
        },
    )
