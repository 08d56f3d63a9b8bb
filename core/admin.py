"""The Django admin, scoped to a practice.

Practice staff (``is_staff``, a ``practice``, the model permissions of the "Practice staff"
group) see their own practice's rows and nothing else: every queryset is filtered through
``scope_to_practice``, and another practice's object is a 404, exactly like one that does not
exist (Django's own answer, a redirect naming the id, is replaced). A superuser is the operator
of the installation, not practice staff: they see every practice, and alone see what belongs
to the installation (login attempts, worker heartbeats, used link nonces, groups).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from knox.models import AuthToken

from core.models import LoginAttempt, Practice, User, WorkerHeartbeat


def is_operator(user: Any) -> bool:
    """The installation's operator: an active superuser."""
    return bool(getattr(user, "is_active", False) and getattr(user, "is_superuser", False))


def scope_to_practice(queryset: QuerySet, user: Any, *paths: str) -> QuerySet:
    """``queryset`` as ``user`` may see it in the admin: everything for the operator, the rows
    whose practice (reached by any of ``paths``, e.g. ``client__therapist__practice``; ``pk``
    for a Practice itself) is the user's own for practice staff, and nothing for anyone else."""
    if is_operator(user):
        return queryset
    practice_id = getattr(user, "practice_id", None)
    if practice_id is None or not paths:
        return queryset.none()
    condition = Q()
    for path in paths:
        condition |= Q(**{path: practice_id})
    return queryset.filter(condition).distinct() if len(paths) > 1 else queryset.filter(condition)


class ScopedAdmin(admin.ModelAdmin):
    """Rows of the staff member's own practice only; anyone else's object is a 404."""

    # Lookups from this model to core.Practice; one is enough, more are OR-ed.
    practice_paths: tuple[str, ...] = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scope_to_practice(super().get_queryset(request), request.user, *self.practice_paths)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django redirects to the index with "... with ID 12 doesn't exist": a 404 instead,
        # the same for another practice's object and for a missing one.
        raise Http404("Not found.")


class OperatorOnlyAdmin(ScopedAdmin):
    """Belongs to the installation, not to a practice: the operator's alone."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_operator(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_operator(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator(request.user) and super().has_delete_permission(request, obj)


# Who may be seen: members of the practice, and the logins of its therapists' clients.
USER_PRACTICE_PATHS = ("practice", "client_profile__therapist__practice")
OPERATOR_ONLY_USER_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions", "practice")


@admin.register(User)
class UserAdmin(ScopedAdmin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "role", "practice", "is_active"]
    list_filter = ["role", ("practice", admin.RelatedOnlyFieldListFilter), "is_active", "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    practice_paths = USER_PRACTICE_PATHS
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "phone", "role", "practice")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        users = super().get_queryset(request)
        # Practice staff never see (or edit) the operator's accounts.
        return users if is_operator(request.user) else users.filter(is_superuser=False)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not is_operator(request.user):
            # No one gives themselves (or a colleague) more rights, or moves a person to
            # another practice: the operator does that.
            fields += [f for f in OPERATOR_ONLY_USER_FIELDS if f not in fields]
        return fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change and not is_operator(request.user):
            obj.practice_id = getattr(request.user, "practice_id", None)
        super().save_model(request, obj, form, change)


@admin.register(Practice)
class PracticeAdmin(ScopedAdmin):
    list_display = ["name", "country", "timezone"]
    search_fields = ["name"]
    practice_paths = ("pk",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_operator(request.user) and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator(request.user) and super().has_delete_permission(request, obj)


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(OperatorOnlyAdmin):
    list_display = ["hostname", "seen_at", "beats"]


@admin.register(LoginAttempt)
class LoginAttemptAdmin(OperatorOnlyAdmin):
    """Read-only: the lockout's record (the email only as a hash)."""

    list_display = ["at", "ip", "succeeded"]
    list_filter = ["succeeded"]
    readonly_fields = ["email_hash", "ip", "at", "succeeded"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(OperatorOnlyAdmin, DjangoGroupAdmin):
    """Groups carry permissions: only the operator edits them (practice staff would otherwise
    add permissions to their own group)."""


admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class AuthTokenAdmin(ScopedAdmin):
    """API tokens (digests only): seen, and revoked by deleting, never made here."""

    list_display = ["user", "created", "expiry"]
    fields = ["user", "created", "expiry"]
    readonly_fields = ["user", "created", "expiry"]
    practice_paths = tuple(f"user__{path}" for path in USER_PRACTICE_PATHS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
