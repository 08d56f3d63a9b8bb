"""Accounts: a custom user with email as the login, three roles, and practices."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class Practice(models.Model):
    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, default="GB")
    timezone = models.CharField(_("timezone"), max_length=64, default="Europe/London")
    # How clients reach the practice (shown to them, e.g. after an ending or when nobody covers).
    contact_phone = models.CharField(_("phone for clients"), max_length=32, blank=True)
    contact_email = models.EmailField(_("email for clients"), blank=True)
    # Who is told when an escalation is not acknowledged in time.
    fallback_contact_name = models.CharField(max_length=200, blank=True)
    fallback_contact_email = models.EmailField(blank=True)
    fallback_contact_phone = models.CharField(max_length=32, blank=True)
    # Defaults for a break declared in one step (an unplanned absence).
    default_prompt_times = models.JSONField(default=list, blank=True)
    default_quiet_hours_start = models.TimeField(null=True, blank=True)
    default_quiet_hours_end = models.TimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("role", User.Role.STAFF)
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    class Role(models.TextChoices):
        THERAPIST = "therapist", _("Therapist")
        CLIENT = "client", _("Client")
        STAFF = "staff", _("Staff")

    email = models.EmailField(_("email address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CLIENT)
    practice = models.ForeignKey(
        Practice, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    @property
    def is_therapist(self) -> bool:
        return self.role == self.Role.THERAPIST

    @property
    def is_client(self) -> bool:
        return self.role == self.Role.CLIENT


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker (by hostname) ran the heartbeat task; shown to staff."""

    hostname = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField(default=now)
    beats = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return self.hostname


class LoginAttempt(models.Model):
    """One login attempt, for the lockout (core/auth.py); pruned after 30 days.

    The email is stored only as a SHA-256 hash of its lowercased form: enough to count an
    account's failures, not enough to list who tried to log in.
    """

    email_hash = models.CharField(max_length=64)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=now)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["email_hash", "-at"], name="login_attempt_email_idx"),
            models.Index(fields=["ip", "-at"], name="login_attempt_ip_idx"),
        ]

    def __str__(self) -> str:
        return f"Login attempt {self.pk} ({'ok' if self.succeeded else 'failed'})"


class PasswordResetRequest(models.Model):
    """One request for a password reset email, counted like failed logins (core/auth.py).

    As for LoginAttempt, the email is kept only as a hash, and a request for an address that
    has no account is counted exactly like one that has.
    """

    email_hash = models.CharField(max_length=64)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["email_hash", "-at"], name="reset_request_email_idx"),
            models.Index(fields=["ip", "-at"], name="reset_request_ip_idx"),
        ]

    def __str__(self) -> str:
        return f"Password reset request {self.pk}"
