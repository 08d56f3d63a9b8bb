"""The checklist's page action: the therapist saves the ticks on a break's page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.http import AuthenticatedHttpRequest
from planner.breaks.selectors import access_break
from planner.breaks.views import break_page, therapist_required
from planner.checklist import services
from planner.checklist.forms import ChecklistForm


@therapist_required
@require_POST
def break_checklist(request: AuthenticatedHttpRequest, break_id: int) -> HttpResponse:
    """Save the ticks; a refused value is shown next to its item on the break's page."""
    brk = access_break(request.user, break_id)
    form = ChecklistForm(request.POST, brk=brk)
    if form.is_valid():
        try:
            services.checklist_update(brk=brk, actor=request.user, items=form.to_service_items())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The checklist is saved."))
            return redirect(reverse("break", args=[brk.pk]) + "#h-checklist")
    return break_page(request, brk, "therapist", checklist=form)
