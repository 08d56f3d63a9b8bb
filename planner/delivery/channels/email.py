"""Email through Django's email backends (console, SMTP, or django-anymail in production)."""

from __future__ import annotations

import logging
import smtplib
import socket

from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from planner.delivery.channels.base import (
    OutboundMessage,
    PermanentChannelError,
    TransientChannelError,
)

logger = logging.getLogger(__name__)

SUBJECT = "A new message in Between"  # neutral: no client name, no clinical content


def build_email(message: OutboundMessage) -> EmailMultiAlternatives:
    context = {
        "text": message.full_text if message.full_text_allowed else "",
        "neutral_text": message.neutral_text,
        "link": message.link,
        "unsubscribe_link": message.unsubscribe_link,
    }
    email = EmailMultiAlternatives(
        subject=SUBJECT,
        body=render_to_string("email/prompt.txt", context),
        to=[message.client.email],
        headers={"Message-ID": message.message_id},
    )
    if message.unsubscribe_link:
        # RFC 2369 + RFC 8058 one-click: the mail client POSTs to the link itself.
        email.extra_headers["List-Unsubscribe"] = f"<{message.unsubscribe_link}>"
        email.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.attach_alternative(render_to_string("email/prompt.html", context), "text/html")
    return email


def classify_email_error(exc: Exception) -> Exception:
    """Map a backend exception to a permanent or transient channel error."""
    try:  # django-anymail, when it is the backend
        from anymail.exceptions import AnymailRecipientsRefused

        if isinstance(exc, AnymailRecipientsRefused):
            return PermanentChannelError("recipient-refused")
    except ImportError:  # pragma: no cover
        pass
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        if codes and all(500 <= code < 600 for code in codes):
            return PermanentChannelError(f"smtp-{codes[0]}")
        return TransientChannelError(f"smtp-{codes[0] if codes else 'refused'}")
    if isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600:
        if isinstance(exc, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
            # 5xx after RCPT was accepted is about the message or our account: retry, then fail.
            return TransientChannelError(f"smtp-{exc.smtp_code}")
        return PermanentChannelError(f"smtp-{exc.smtp_code}")
    if isinstance(exc, smtplib.SMTPException | OSError | socket.timeout):
        return TransientChannelError(type(exc).__name__)
    return TransientChannelError(type(exc).__name__)


class EmailChannel:
    name = "email"

    def __init__(self) -> None:
        self.connection = None

    def open(self) -> None:
        # Opened here, so one SMTP session serves the whole batch (Django's backend otherwise
        # opens and closes a connection around every send).
        connection = self.connection = get_connection(fail_silently=False)
        try:
            connection.open()
        except Exception as exc:
            self.connection = None
            raise classify_email_error(exc) from exc

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:  # a failed QUIT must not lose stored results
                logger.warning("channel.email.close_failed")
            self.connection = None

    def send(self, message: OutboundMessage) -> str:
        if not message.client.email:
            raise PermanentChannelError("no-address")
        if self.connection is None:
            self.open()
        email = build_email(message)
        email.connection = self.connection
        try:
            sent = email.send(fail_silently=False)
        except Exception as exc:  # classified, never swallowed
            # A broken SMTP connection is not reused for the next message.
            self.close()
            raise classify_email_error(exc) from exc
        if not sent:
            raise TransientChannelError("not-sent")
        anymail_status = getattr(email, "anymail_status", None)
        provider_id = getattr(anymail_status, "message_id", None)
        return str(provider_id or message.message_id)[:128]
