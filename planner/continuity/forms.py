"""The forms of the continuity room; the services check the same rules again."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.timezone import now as current_time
from django.utils.translation import gettext_lazy as _

from core.models import User
from planner.breaks.forms import LocalDateTimeField, add_service_errors
from planner.continuity import selectors
from planner.continuity.services import NOTE_MAX, SCRIPT_MAX
from planner.models import Break, Client, ContinuityCall, ContinuityPlan
from planner.schedule.localtime import localize


def practice_zone(user: User) -> ZoneInfo:
    practice = user.practice
    return ZoneInfo(practice.timezone if practice else "Europe/London")


def _named(field: forms.Field) -> None:
    assert isinstance(field, forms.ModelChoiceField)
    field.label_from_instance = lambda obj: obj.full_name or obj.email  # type: ignore[method-assign]


class ServiceErrors:
    def add_service_errors(self, error: ValidationError) -> None:
        assert isinstance(self, forms.Form)
        add_service_errors(self, error, {})


class LocalWhen(ServiceErrors):
    """A ``datetime-local`` field read in the practice's zone, now by default."""

    zone: ZoneInfo

    def aware(self, value: datetime | None) -> datetime | None:
        return None if value is None else localize(value.date(), value.time(), self.zone)

    def now_here(self) -> str:
        return current_time().astimezone(self.zone).strftime("%Y-%m-%dT%H:%M")


class PlanForm(ServiceErrors, forms.Form):
    colleague = forms.ModelChoiceField(
        label=_("The colleague who will contact your clients"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody named yet"),
        help_text=_(
            "A therapist of your practice. They see nothing of this until practice staff "
            "declare an unplanned absence for you."
        ),
    )
    script = forms.CharField(
        label=_("What to say to each client"),
        required=False,
        max_length=SCRIPT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("The colleague reads this before each call or message."),
    )
    call_clients = forms.ModelMultipleChoiceField(
        label=_("Clients who need a phone call rather than a message"),
        queryset=Client.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, therapist: User, **kwargs: Any) -> None:
        plan: ContinuityPlan | None = kwargs.pop("plan", None)
        super().__init__(*args, **kwargs)
        if plan is not None and not self.is_bound:
            self.initial = {
                "colleague": plan.colleague_id,
                "script": plan.script,
                "call_clients": list(plan.call_clients.values_list("pk", flat=True)),
            }
        colleague = self.fields["colleague"]
        assert isinstance(colleague, forms.ModelChoiceField)
        colleague.queryset = selectors.colleagues_for(therapist)
        _named(colleague)
        clients = self.fields["call_clients"]
        assert isinstance(clients, forms.ModelMultipleChoiceField)
        clients.queryset = selectors.caseload(therapist)
        clients.label_from_instance = lambda obj: obj.full_name  # type: ignore[method-assign]


class DeclareForm(LocalWhen, forms.Form):
    starts_at = LocalDateTimeField(
        label=_("Absent since"), help_text=_("In the practice's time zone.")
    )
    sessions_plan = forms.ChoiceField(
        label=_("Booked sessions"),
        choices=Break.SessionsPlan.choices,
        help_text=_("What happens to the clients' booked sessions, and who contacts them."),
    )

    def __init__(self, *args: Any, staff: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = practice_zone(staff)
        if not self.is_bound:
            self.initial.setdefault("starts_at", self.now_here())
            self.initial.setdefault("sessions_plan", Break.SessionsPlan.CANCELLED_PRACTICE)


class CallForm(LocalWhen, forms.Form):
    called_at = LocalDateTimeField(label=_("When you called"))
    outcome = forms.ChoiceField(
        label=_("How it went"), choices=ContinuityCall.Outcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = practice_zone(user)
        if not self.is_bound:
            self.initial.setdefault("called_at", self.now_here())


class ClientHandOverForm(ServiceErrors, forms.Form):
    to = forms.ModelChoiceField(
        label=_("Hand this client over to"), queryset=User.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, plan: ContinuityPlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        to = self.fields["to"]
        assert isinstance(to, forms.ModelChoiceField)
        to.queryset = selectors.colleagues_for(plan.therapist)
        _named(to)


class SendForm(ServiceErrors, forms.Form):
    """Staff send the declared drafts; those ticked "call first" stay drafts."""

    call_first = forms.ModelMultipleChoiceField(
        label=_("Call first"),
        queryset=Break.objects.none(),
        required=False,
        error_messages={
            "invalid_choice": _("Plan %(value)s is not one of this absence's drafts."),
            "invalid_pk_value": _("Plan %(pk)s is not one of this absence's drafts."),
        },
    )

    def __init__(self, *args: Any, drafts: list[Break], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.drafts = drafts
        field = self.fields["call_first"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Break.objects.filter(pk__in=[b.pk for b in drafts])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.drafts:
            raise ValidationError(_("No plan of this absence is waiting to be sent."))
        return cleaned

    def ticked(self, brk: Break) -> bool:
        """The box as the page shows it: as sent back, else the plan's "needs a call"."""
        if not self.is_bound:
            return brk.needs_call
        data = self.data
        sent = data.getlist("call_first") if isinstance(data, QueryDict) else data.get("call_first")
        return str(brk.pk) in {str(v) for v in sent or ()}

    def call_first_ids(self) -> list[int]:
        return [b.pk for b in self.cleaned_data["call_first"]]
