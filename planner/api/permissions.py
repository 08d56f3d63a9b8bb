"""Who may call what.

Two layers, so no view can skip the check:

1. Role, on the view (these classes): therapist endpoints need a therapist, ``/me/``
   endpoints a client. A caller with the wrong role gets 403: the endpoint exists for
   everyone, so saying "not for you" reveals nothing.
2. The object, through one ``access_*`` helper per resource in the rooms' ``selectors``
   (``access_client``, ``access_break``, ``access_break_for_reading``,
   ``check_ins_visible_to``, ``access_inbox_message``, ``require_client``). Someone else's
   object is a 404, the same answer as an id that does not exist.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from core.models import User


class IsTherapist(BasePermission):
    message = "Only a therapist can do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_therapist)


class IsClient(BasePermission):
    message = "Only a client can do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_client)


class CanDeclareAbsence(BasePermission):
    """Therapists for themselves; staff and colleagues for a therapist of their practice
    (the service decides which therapist, answering 400 "Unknown therapist." otherwise)."""

    message = "Only therapists and practice staff can declare an absence."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return user.is_therapist or user.is_staff or user.role == User.Role.STAFF
