"""Django admin for every planner model, for practice staff, scoped to their practice.

Every queryset goes through ``core.admin.scope_to_practice``: staff of one practice see their
own practice's clients, breaks, prompts, check-ins and audit trail, and another practice's
object is a 404 (a superuser, the installation's operator, sees all). Records that the
services write (clients, breaks, prompts, deliveries, messages, check-ins, escalations,
reviews, consent, the audit trail) are read-only here: a change made in the admin would skip
the consent records, the audit rows and the rescheduling that the services make. A practice's
own prompts and crisis lines are configuration, edited here and checked by the models' own
validation; the shipped library is the operator's, and a practice switches a library prompt
off for itself with an action. ``practice_staff_group`` makes the "Practice staff" group with
exactly the permissions these pages need.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.models import Group, Permission
from django.db.models import Q, QuerySet, URLField
from django.http import HttpRequest

from core.admin import OperatorOnlyAdmin, ScopedAdmin, is_operator
from planner import audit, models

PRACTICE_STAFF_GROUP = "Practice staff"
# (app label, model, actions): what practice staff may do in the admin (within their practice).
PRACTICE_STAFF_PERMISSIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("core", "user", ("view", "add", "change")),
    ("core", "practice", ("view", "change")),
    ("knox", "authtoken", ("view", "delete")),
    *(
        ("planner", model, ("view",))
        for model in (
            "client",
            "consentrecord",
            "break",
            "scheduledprompt",
            "delivery",
            "inboxmessage",
            "checkin",
            "escalation",
            "breakreview",
            "auditevent",
            "continuityplan",
            "continuitycall",
        )
    ),
    ("planner", "prompttemplate", ("view", "add", "change", "delete")),
    ("planner", "practicecrisisresource", ("view", "add", "change", "delete")),
)


def practice_staff_group() -> Group:
    """The "Practice staff" group with exactly PRACTICE_STAFF_PERMISSIONS (idempotent; run
    after every migrate, and by the demo loader)."""
    group, _ = Group.objects.get_or_create(name=PRACTICE_STAFF_GROUP)
    wanted = Q(pk__in=[])
    for app_label, model, actions in PRACTICE_STAFF_PERMISSIONS:
        wanted |= Q(
            content_type__app_label=app_label,
            codename__in=[f"{action}_{model}" for action in actions],
        )
    group.permissions.set(Permission.objects.filter(wanted))
    return group


CLIENT_PRACTICE = ("client__therapist__practice",)


class ServiceWrittenAdmin(ScopedAdmin):
    """Shown, never added, changed or deleted from the admin (the services write these)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadAuditedAdmin(ServiceWrittenAdmin):
    """Staff opening a client's record, plan or check-in leaves a read in the audit trail."""

    audit_name = ""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None:
            # A continuity plan is about no one client: its read names none.
            client_id = (
                obj.pk if isinstance(obj, models.Client) else getattr(obj, "client_id", None)
            )
            audit.record_read(request.user, self.audit_name, obj, client_id)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(models.Client)
class ClientAdmin(ReadAuditedAdmin):
    audit_name = "client"
    practice_paths = ("therapist__practice",)
    list_display = ["id", "first_name", "last_name", "therapist", "timezone", "country"]
    list_filter = ["country"]
    search_fields = ["first_name", "last_name", "email"]
    raw_id_fields = ["therapist", "user"]


@admin.register(models.ConsentRecord)
class ConsentRecordAdmin(ServiceWrittenAdmin):
    practice_paths = CLIENT_PRACTICE
    list_display = ["client", "subject", "granted", "recorded_at", "source"]
    list_filter = ["subject", "granted"]
    raw_id_fields = ["client", "recorded_by"]


@admin.register(models.Break)
class BreakAdmin(ReadAuditedAdmin):
    audit_name = "break"
    practice_paths = CLIENT_PRACTICE
    list_display = ["id", "client", "kind", "status", "starts_at", "ends_at", "therapist"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["client", "therapist", "created_by", "covering_user"]
    date_hierarchy = "starts_at"
    # The client's consent is set in the plan builder, where each change is a consent record
    # (planner.privacy.consent); an edit here would write none.
    readonly_fields = [
        "escalation_enabled",
        "escalation_consent_at",
        "share_check_ins_with_covering",
        "follow_ups_opted_in_at",
    ]


class PracticeConfigurationAdmin(ScopedAdmin):
    """A practice's own configuration rows: practice staff edit their own practice's, which
    is filled in for them and never changed to another one."""

    practice_paths = ("practice",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        return fields if is_operator(request.user) else [*fields, "practice"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not is_operator(request.user):
            obj.practice_id = getattr(request.user, "practice_id", None)
        super().save_model(request, obj, form, change)


@admin.register(models.PromptTemplate)
class PromptTemplateAdmin(PracticeConfigurationAdmin):
    """The shipped library (no practice) is shown to everyone and changed by the operator; a
    practice's own prompts by its staff. A practice switches a library prompt off for itself
    with the actions below."""

    list_display = ["key", "category", "practice", "is_active"]
    list_filter = ["category", "is_active", ("practice", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["key", "text"]
    filter_horizontal = ["disabled_by"]
    actions = ["switch_off_for_my_practice", "switch_on_for_my_practice"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        prompts = models.PromptTemplate.objects.all()
        if is_operator(request.user):
            return prompts
        own = getattr(request.user, "practice_id", None)
        return prompts.filter(
            Q(practice__isnull=True) | Q(practice_id=own) if own else Q(pk__in=[])
        )

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        # Which practices switched a library prompt off is the operator's to see.
        return None if is_operator(request.user) else ["disabled_by"]

    def _is_library(self, request: HttpRequest, obj: Any) -> bool:
        return obj is not None and obj.practice_id is None and not is_operator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._is_library(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._is_library(request, obj) and super().has_delete_permission(request, obj)

    def _switch(self, request: HttpRequest, queryset: QuerySet, off: bool) -> None:
        practice = getattr(request.user, "practice", None)
        if practice is None:
            self.message_user(request, "You belong to no practice.", messages.ERROR)
            return
        library = list(queryset.filter(practice__isnull=True))
        if off:
            practice.disabled_prompts.add(*library)
        else:
            practice.disabled_prompts.remove(*library)
        self.message_user(
            request, f"{len(library)} library prompts switched {'off' if off else 'on'}."
        )

    @admin.action(description="Switch off for my practice", permissions=["view"])
    def switch_off_for_my_practice(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._switch(request, queryset, off=True)

    @admin.action(description="Switch on again for my practice", permissions=["view"])
    def switch_on_for_my_practice(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._switch(request, queryset, off=False)


@admin.register(models.ScheduledPrompt)
class ScheduledPromptAdmin(ServiceWrittenAdmin):
    practice_paths = CLIENT_PRACTICE
    list_display = ["id", "break_obj", "category", "send_at", "status", "skip_reason", "attempts"]
    list_filter = ["status", "category", "skip_reason"]
    raw_id_fields = ["break_obj", "client", "template"]
    date_hierarchy = "send_at"


@admin.register(models.Delivery)
class DeliveryAdmin(ServiceWrittenAdmin):
    practice_paths = ("prompt__client__therapist__practice",)
    list_display = ["id", "prompt", "channel", "status", "attempts", "last_error", "sent_at"]
    list_filter = ["status", "channel"]
    raw_id_fields = ["prompt"]


@admin.register(models.InboxMessage)
class InboxMessageAdmin(ServiceWrittenAdmin):
    practice_paths = CLIENT_PRACTICE
    list_display = ["id", "client", "category", "delivered_at", "acknowledged_at"]
    raw_id_fields = ["client", "prompt", "break_obj"]


@admin.register(models.CheckIn)
class CheckInAdmin(ReadAuditedAdmin):
    audit_name = "checkin"
    practice_paths = CLIENT_PRACTICE
    list_display = ["id", "client", "distress", "need_support_now", "escalated", "created_at"]
    list_filter = ["need_support_now", "escalated"]
    raw_id_fields = ["client", "break_obj"]


@admin.register(models.Escalation)
class EscalationAdmin(ServiceWrittenAdmin):
    practice_paths = CLIENT_PRACTICE
    list_display = ["id", "client", "status", "notified_at", "acknowledged_at"]
    list_filter = ["status"]
    raw_id_fields = ["check_in", "client", "acknowledged_by"]


@admin.register(models.BreakReview)
class BreakReviewAdmin(ServiceWrittenAdmin):
    practice_paths = ("break_obj__client__therapist__practice",)
    list_display = ["break_obj", "submitted_at"]
    raw_id_fields = ["break_obj"]


@admin.register(models.ContinuityPlan)
class ContinuityPlanAdmin(ReadAuditedAdmin):
    """Who the therapist named and who needs a call; never the script, which only the
    therapist and, during a declared absence, the named colleague read."""

    audit_name = "continuity"
    practice_paths = ("therapist__practice",)
    list_display = ["id", "therapist", "colleague", "phone_first", "will_not_return_at"]
    list_select_related = ["therapist", "colleague"]
    fields = [
        "therapist",
        "colleague",
        "call_clients",
        "will_not_return_at",
        "will_not_return_by",
        "created_at",
        "updated_at",
    ]

    @admin.display(description="Clients to call first")
    def phone_first(self, obj: models.ContinuityPlan) -> int:
        return obj.call_clients.count()


@admin.register(models.ContinuityCall)
class ContinuityCallAdmin(ReadAuditedAdmin):
    """The calls the colleague recorded; the note shows on one call's page (a read that is
    audited), never in the list."""

    audit_name = "continuity_call"
    practice_paths = CLIENT_PRACTICE
    list_display = ["id", "client", "plan", "made_by", "called_at", "outcome", "recorded_at"]
    list_filter = ["outcome"]
    list_select_related = ["client", "plan", "made_by"]
    date_hierarchy = "called_at"


@admin.register(models.PracticeCrisisResource)
class PracticeCrisisResourceAdmin(PracticeConfigurationAdmin):
    list_display = ["name", "country", "practice", "phone", "checked_on"]
    list_filter = ["country"]
    # A source typed without a scheme is read as https (Django 6's default, chosen now).
    formfield_overrides = {URLField: {"assume_scheme": "https"}}


@admin.register(models.AuditEvent)
class AuditEventAdmin(ServiceWrittenAdmin):
    """Readable by staff, never editable: the audit trail is append-only."""

    practice_paths = CLIENT_PRACTICE

    list_display = ["at", "actor", "action", "object_type", "object_id", "client"]
    list_filter = ["action"]
    readonly_fields = [f.name for f in models.AuditEvent._meta.fields]


@admin.register(models.SignedLinkUse)
class SignedLinkUseAdmin(OperatorOnlyAdmin):
    """Used single-use links (nonces only), so a link cannot act twice."""

    list_display = ["purpose", "used_at"]
    list_filter = ["purpose"]
    readonly_fields = ["nonce", "purpose", "used_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
