"""Request types for code that runs only for a logged-in person.

``login_required`` (and the API's permission classes) make sure ``request.user`` is a real
``User``; these types say so to the type checker instead of a cast at every call. At run time
they are Django's and DRF's own request classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from rest_framework.request import Request

from core.models import User

if TYPE_CHECKING:

    class AuthenticatedHttpRequest(HttpRequest):
        user: User

    class AuthenticatedRequest(Request):
        @property
        def user(self) -> User: ...
        @user.setter
        def user(self, value: User) -> None: ...

else:
    AuthenticatedHttpRequest = HttpRequest
    AuthenticatedRequest = Request
