"""Account forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from core.auth import LoginFailed, LoginLocked, authenticate_with_lockout


class LockoutAuthenticationForm(AuthenticationForm):
    """Django's login form, counting failures and refusing while an account or address is
    locked (see core/auth.py). The same message whether or not the account exists."""

    def clean(self) -> dict[str, Any]:
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email is not None and password:
            try:
                self.user_cache = authenticate_with_lockout(
                    self.request, email=email, password=password
                )
            except LoginLocked as locked:
                raise forms.ValidationError(locked.message, code="locked")
            except LoginFailed:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data
