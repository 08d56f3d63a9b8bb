"""Account forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

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


class PasswordConfirmForm(forms.Form):
    """The logged-in person's password, through the lockout (a session opened by a link asks
    for it before anything but the inbox and My break)."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, request: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        user = self.request.user
        try:
            checked = authenticate_with_lockout(self.request, email=user.email, password=password)
        except LoginLocked as locked:
            raise forms.ValidationError(locked.message, code="locked")
        except LoginFailed:
            checked = None
        if checked is None or checked.pk != user.pk:
            raise forms.ValidationError(_("That is not your password."), code="password")
        return password
