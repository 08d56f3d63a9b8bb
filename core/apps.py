from django.apps import AppConfig


def _full_session_after_a_login(sender, request, user, **kwargs) -> None:
    """A login with the password is never limited (a link's login marks its session after)."""
    from core.middleware import LIMITED_SESSION_KEY

    session = getattr(request, "session", None)
    if session is not None and session.pop(LIMITED_SESSION_KEY, None):
        session.set_expiry(None)


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(_full_session_after_a_login, dispatch_uid="between.full_session")
