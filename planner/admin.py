"""Django admin for every planner model, for practice staff.

Records that the services write (clients, breaks, prompts, deliveries, messages, check-ins,
escalations, reviews, consent, the audit trail) are read-only here: a change made in the
admin would skip the consent records, the audit rows and the rescheduling that the services
make. The prompt library and a practice's own crisis lines are configuration, edited here and
checked by the models' own validation.
"""

from django.contrib import admin

from planner import audit, models


class ServiceWrittenAdmin(admin.ModelAdmin):
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
            client_id = obj.pk if isinstance(obj, models.Client) else obj.client_id
            audit.record_read(request.user, self.audit_name, obj, client_id)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(models.Client)
class ClientAdmin(ReadAuditedAdmin):
    audit_name = "client"
    list_display = ["id", "first_name", "last_name", "therapist", "timezone", "country"]
    list_filter = ["country"]
    search_fields = ["first_name", "last_name", "email"]
    raw_id_fields = ["therapist", "user"]


@admin.register(models.ConsentRecord)
class ConsentRecordAdmin(ServiceWrittenAdmin):
    list_display = ["client", "subject", "granted", "recorded_at", "source"]
    list_filter = ["subject", "granted"]
    raw_id_fields = ["client", "recorded_by"]


@admin.register(models.Break)
class BreakAdmin(ReadAuditedAdmin):
    audit_name = "break"
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
    ]


@admin.register(models.PromptTemplate)
class PromptTemplateAdmin(admin.ModelAdmin):
    list_display = ["key", "category", "practice", "is_active"]
    list_filter = ["category", "is_active", "practice"]
    search_fields = ["key", "text"]
    filter_horizontal = ["disabled_by"]


@admin.register(models.ScheduledPrompt)
class ScheduledPromptAdmin(ServiceWrittenAdmin):
    list_display = ["id", "break_obj", "category", "send_at", "status", "skip_reason", "attempts"]
    list_filter = ["status", "category", "skip_reason"]
    raw_id_fields = ["break_obj", "client", "template"]
    date_hierarchy = "send_at"


@admin.register(models.Delivery)
class DeliveryAdmin(ServiceWrittenAdmin):
    list_display = ["id", "prompt", "channel", "status", "attempts", "last_error", "sent_at"]
    list_filter = ["status", "channel"]
    raw_id_fields = ["prompt"]


@admin.register(models.InboxMessage)
class InboxMessageAdmin(ServiceWrittenAdmin):
    list_display = ["id", "client", "category", "delivered_at", "acknowledged_at"]
    raw_id_fields = ["client", "prompt", "break_obj"]


@admin.register(models.CheckIn)
class CheckInAdmin(ReadAuditedAdmin):
    audit_name = "checkin"
    list_display = ["id", "client", "distress", "need_support_now", "escalated", "created_at"]
    list_filter = ["need_support_now", "escalated"]
    raw_id_fields = ["client", "break_obj"]


@admin.register(models.Escalation)
class EscalationAdmin(ServiceWrittenAdmin):
    list_display = ["id", "client", "status", "notified_at", "acknowledged_at"]
    list_filter = ["status"]
    raw_id_fields = ["check_in", "client", "acknowledged_by"]


@admin.register(models.BreakReview)
class BreakReviewAdmin(ServiceWrittenAdmin):
    list_display = ["break_obj", "submitted_at"]
    raw_id_fields = ["break_obj"]


@admin.register(models.PracticeCrisisResource)
class PracticeCrisisResourceAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "practice", "phone", "checked_on"]
    list_filter = ["country"]


@admin.register(models.AuditEvent)
class AuditEventAdmin(ServiceWrittenAdmin):
    """Readable by staff, never editable: the audit trail is append-only."""

    list_display = ["at", "actor", "action", "object_type", "object_id", "client"]
    list_filter = ["action"]
    readonly_fields = [f.name for f in models.AuditEvent._meta.fields]


@admin.register(models.SignedLinkUse)
class SignedLinkUseAdmin(admin.ModelAdmin):
    """Used single-use links (nonces only), so a link cannot act twice."""

    list_display = ["purpose", "used_at"]
    list_filter = ["purpose"]
    readonly_fields = ["nonce", "purpose", "used_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
