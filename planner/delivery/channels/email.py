"""Email through Django's email backends (console, SMTP, or django-anymail in production)."""

from __future__ import annotations

import logging
import smtplib
import socket
from typing import Any

import requests
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils.html import escape

from planner.delivery.channels.base import (
    OutboundMessage,
    PermanentChannelError,
    TransientChannelError,
    UnconfirmedChannelError,
)

logger = logging.getLogger(__name__)

SUBJECT = "A new message in Between"  # neutral: no client name, no clinical content


def _context(message: OutboundMessage, *, link: str, unsubscribe_link: str) -> dict[str, str]:
    return {
        "text": message.full_text if message.full_text_allowed else "",
        "neutral_text": message.neutral_text,
        "link": link,
        "unsubscribe_link": unsubscribe_link,
    }


# Stand in for a recipient's links in the neutral email rendered once per batch. Letters and
# digits only, so the HTML escaping of the template leaves them as they are.
LINK_MARK = "BetweenRecipientLink7c1e9a"
UNSUBSCRIBE_MARK = "BetweenRecipientUnsubscribe7c1e9a"


class NeutralEmails:
    """The neutral email (no text: the client did not opt in) rendered once, for a whole
    batch; each recipient's links are substituted, escaped as the template escapes them, so
    the result is the email ``render_to_string`` would give, byte for byte."""

    def __init__(self) -> None:
        self._parts: dict[tuple[str, bool], tuple[str, str]] = {}

    def parts(self, message: OutboundMessage) -> tuple[str, str]:
        key = (message.neutral_text, bool(message.unsubscribe_link))
        if key not in self._parts:
            marks = _context(
                message, link=LINK_MARK, unsubscribe_link=UNSUBSCRIBE_MARK if key[1] else ""
            )
            self._parts[key] = (
                render_to_string("email/prompt.txt", marks),
                render_to_string("email/prompt.html", marks),
            )
        text, html = self._parts[key]
        link, unsubscribe = message.link, message.unsubscribe_link
        return (
            text.replace(LINK_MARK, link).replace(UNSUBSCRIBE_MARK, unsubscribe),
            html.replace(LINK_MARK, escape(link)).replace(UNSUBSCRIBE_MARK, escape(unsubscribe)),
        )


def build_email(
    message: OutboundMessage, neutral: NeutralEmails | None = None
) -> EmailMultiAlternatives:
    """The email for one message. ``neutral``: the batch's rendered neutral email, used when
    the message carries no text."""
    if neutral is not None and not message.full_text_allowed:
        body, html = neutral.parts(message)
    else:
        context = _context(message, link=message.link, unsubscribe_link=message.unsubscribe_link)
        body = render_to_string("email/prompt.txt", context)
        html = render_to_string("email/prompt.html", context)
    email = EmailMultiAlternatives(
        subject=SUBJECT,
        body=body,
        to=[message.client.email],
        headers={"Message-ID": message.message_id},
    )
    if message.unsubscribe_link:
        # RFC 2369 + RFC 8058 one-click: the mail client POSTs to the link itself.
        email.extra_headers["List-Unsubscribe"] = f"<{message.unsubscribe_link}>"
        email.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.attach_alternative(html, "text/html")
    return email


def classify_email_error(exc: Exception, *, handed_over: bool = False) -> Exception:
    """Map a backend exception to a permanent, transient or unconfirmed channel error.

    ``handed_over``: the whole message (DATA, up to its final ".") had been written to the
    SMTP server. After that, an error that is not the server's reply (the connection dropped,
    a timeout waiting for the 250) leaves the outcome unknown: the server may have stored the
    message, so it must not be sent again. An HTTP API (django-anymail) that timed out reading
    its reply is the same case."""
    if handed_over and not isinstance(exc, smtplib.SMTPResponseException):
        return UnconfirmedChannelError(f"no-reply-after-data:{type(exc).__name__}")
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return UnconfirmedChannelError("no-reply:ReadTimeout")
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


def _watch_hand_over(smtp: smtplib.SMTP, channel: EmailChannel) -> None:
    """Note on ``channel`` when ``smtp`` has written a whole message to the server.

    smtplib's ``data()`` sends the message in one ``send()`` of bytes ending in CRLF "." CRLF
    (commands are sent as text); once that returned, the server has the message and only its
    reply is missing. The instance's ``send`` is wrapped, for plain SMTP and SMTP over TLS
    alike, without a backend of our own in EMAIL_BACKEND."""
    if getattr(smtp, "_between_watched", False):
        return
    original = smtp.send

    def send(data: Any) -> None:
        original(data)
        if isinstance(data, bytes) and data.endswith(b"\r\n.\r\n"):
            channel.handed_over = True

    smtp.send = send  # type: ignore[method-assign,assignment]
    smtp._between_watched = True  # type: ignore[attr-defined]


class EmailChannel:
    name = "email"

    def __init__(self) -> None:
        self.connection = None
        self.handed_over = False  # this message has reached the SMTP server (see above)
        self.neutral = NeutralEmails()  # rendered once for all the messages of this channel

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
        email = build_email(message, self.neutral)
        email.connection = self.connection
        smtp = getattr(self.connection, "connection", None)
        if isinstance(smtp, smtplib.SMTP):
            _watch_hand_over(smtp, self)
        self.handed_over = False
        try:
            sent = email.send(fail_silently=False)
        except Exception as exc:  # classified, never swallowed
            # A broken SMTP connection is not reused for the next message.
            self.close()
            raise classify_email_error(exc, handed_over=self.handed_over) from exc
        if not sent:
            raise TransientChannelError("not-sent")
        anymail_status = getattr(email, "anymail_status", None)
        provider_id = getattr(anymail_status, "message_id", None)
        return str(provider_id or message.message_id)[:128]
