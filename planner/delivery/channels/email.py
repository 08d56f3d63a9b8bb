"""Email through Django's email backends (console, SMTP, or django-anymail in production)."""

from __future__ import annotations

import copy
import logging
import smtplib
import socket
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape as html_escape
from typing import Any

import requests
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.module_loading import import_string

from planner.delivery.channels.base import (
    ChannelError,
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

    @staticmethod
    def key(message: OutboundMessage) -> tuple[str, bool]:
        """Messages with the same key have the same email but for their links."""
        return (message.neutral_text, bool(message.unsubscribe_link))

    def marked(self, message: OutboundMessage) -> tuple[str, str]:
        """The text and HTML bodies with LINK_MARK and UNSUBSCRIBE_MARK for the links."""
        key = self.key(message)
        if key not in self._parts:
            marks = _context(
                message, link=LINK_MARK, unsubscribe_link=UNSUBSCRIBE_MARK if key[1] else ""
            )
            self._parts[key] = (
                render_to_string("email/prompt.txt", marks),
                render_to_string("email/prompt.html", marks),
            )
        return self._parts[key]

    def parts(self, message: OutboundMessage) -> tuple[str, str]:
        text, html = self.marked(message)
        link, unsubscribe = message.link, message.unsubscribe_link
        # html.escape is what Django's escape() calls (without its lazy-string wrapper).
        return (
            text.replace(LINK_MARK, link).replace(UNSUBSCRIBE_MARK, unsubscribe),
            html.replace(LINK_MARK, html_escape(link)).replace(
                UNSUBSCRIBE_MARK, html_escape(unsubscribe)
            ),
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
        subject=SUBJECT, body=body, to=[message.client.email], headers=_headers(message)
    )
    email.attach_alternative(html, "text/html")
    return email


def _headers(message: OutboundMessage) -> dict[str, str]:
    headers = {"Message-ID": message.message_id}
    if message.unsubscribe_link:
        # RFC 2369 + RFC 8058 one-click: the mail client POSTs to the link itself.
        headers["List-Unsubscribe"] = f"<{message.unsubscribe_link}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


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
        self.esp = batch_esp()  # None: every message goes on its own

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

    def batchable(self, message: OutboundMessage) -> bool:
        """Whether ``message`` may go in an ESP batch (``send_batch``): the backend batches
        (``batch_esp``) and the email is the neutral one (no text) to an address."""
        address = message.client.email
        # A plain ASCII address, as anymail keys it (an IDNA-encoded domain would not find
        # its merge_data, and go out with its links unmerged).
        plain = bool(address) and address.isascii() and address == address.strip()
        return self.esp is not None and not message.full_text_allowed and plain

    def send_batch(self, messages: list[OutboundMessage]) -> list[str | ChannelError]:
        """Batchable messages through the ESP's batch send: one call for all those with the
        same neutral email and distinct addresses (the whole sub-batch, usually). Each
        message's outcome, in order: its provider id, or the error for that message alone.

        A call that raised without an answer leaves all its messages unconfirmed (the ESP may
        have sent some), except when anymail refused it while building it: then nothing
        reached the ESP, and the messages go one at a time."""
        assert self.esp is not None
        outcomes: dict[int, str | ChannelError] = {}
        for call in _calls(messages):
            chunk = [messages[i] for i in call]
            outcomes.update(zip(call, self._send_call(chunk, self.esp), strict=True))
        return [outcomes[i] for i in range(len(messages))]

    def _send_call(
        self, messages: list[OutboundMessage], esp: BatchESP
    ) -> list[str | ChannelError]:
        from anymail.exceptions import (
            AnymailConfigurationError,
            AnymailInvalidAddress,
            AnymailRecipientsRefused,
            AnymailSerializationError,
            AnymailUnsupportedFeature,
        )

        if self.connection is None:
            try:
                self.open()
            except ChannelError as exc:  # not connected: nothing was handed over
                return [exc] * len(messages)
        email = batch_email(messages, self.neutral, esp)
        email.connection = self.connection
        try:
            sent = email.send(fail_silently=False)
        except AnymailRecipientsRefused:  # every recipient refused, each status known
            return _recipient_outcomes(email, messages)
        except (
            AnymailInvalidAddress,
            AnymailUnsupportedFeature,
            AnymailSerializationError,
            AnymailConfigurationError,
        ) as exc:
            # Raised while anymail built the request, before it was posted.
            logger.warning(
                "channel.email.batch_not_sent error=%s messages=%s",
                type(exc).__name__,
                len(messages),
            )
            return [self._send_one(message) for message in messages]
        except Exception as exc:  # the type only: its text could carry an address
            logger.warning(
                "channel.email.batch_unconfirmed error=%s messages=%s",
                type(exc).__name__,
                len(messages),
            )
            return [UnconfirmedChannelError(f"batch:{type(exc).__name__}")] * len(messages)
        if not sent:  # cancelled before it was posted (anymail's pre_send)
            return [TransientChannelError("not-sent")] * len(messages)
        return _recipient_outcomes(email, messages)

    def _send_one(self, message: OutboundMessage) -> str | ChannelError:
        try:
            return self.send(message)
        except ChannelError as exc:
            return exc


def _calls(messages: list[OutboundMessage]) -> list[list[int]]:
    """The messages (their indexes) grouped into batch calls: one neutral email per call, and
    an address at most once in it (merge_data is keyed by address)."""
    calls: dict[tuple[str, bool], list[tuple[list[int], set[str]]]] = {}
    for index, message in enumerate(messages):
        address = message.client.email.lower()
        groups = calls.setdefault(NeutralEmails.key(message), [])
        group = next((g for g in groups if address not in g[1]), None)
        if group is None:
            group = ([], set())
            groups.append(group)
        group[0].append(index)
        group[1].add(address)
    return [indexes for groups in calls.values() for indexes, _seen in groups]


# --- ESP batch sending ------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchESP:
    """How one django-anymail ESP batch-sends: its merge field for inline bodies (a format,
    ``{}`` the field's name) and the ``esp_extra`` that turns its merging on."""

    merge_field: str
    esp_extra: dict[str, Any] = field(default_factory=dict)


# ESPs (anymail's ``esp_name``) whose batch send (one API call with ``merge_data`` and
# ``merge_headers``; each recipient sees only their own address) answers with a status for each
# recipient, merges fields into inline bodies and takes a Message-ID per recipient. Not here:
# Mailgun, SendGrid, SparkPost, Brevo and Resend (one status for the whole call, or "queued"
# made up for every recipient; Resend merges nothing), Postmark, Amazon SES and Mailtrap (they
# merge only into templates stored at the ESP), Unisender Go (no Message-ID per recipient).
BATCH_ESPS: dict[str, BatchESP] = {
    # anymail.backends.test: what a batch would send, and a status per recipient.
    "Test": BatchESP("{{{{{}}}}}"),
    # Send API v3.1: one result per message; {{var:name}} with its template language on.
    "Mailjet": BatchESP("{{{{var:{}}}}}", {"Globals": {"TemplateLanguage": True}}),
}

# A recipient's status in a batch send (anymail's ANYMAIL_STATUSES) as this channel's outcome:
# sent and queued are sent; rejected and invalid are the address's fault; failed may work
# later. "unknown", no status, or no answer at all: it may have gone out, so it is
# unconfirmed and never sent again.
_SENT_STATUSES = {"sent", "queued"}
_PERMANENT_STATUSES = {"rejected", "invalid"}


def batch_esp() -> BatchESP | None:
    """The batch sending of EMAIL_BACKEND, when EMAIL_BATCH_SEND allows it; None for SMTP,
    console, dummy and ESPs not in BATCH_ESPS."""
    if not settings.EMAIL_BATCH_SEND:
        return None
    return _batch_esp_of(settings.EMAIL_BACKEND)


@lru_cache(maxsize=8)
def _batch_esp_of(backend: str) -> BatchESP | None:
    try:
        from anymail.backends.base import AnymailBaseBackend
    except ImportError:  # pragma: no cover
        return None
    try:
        cls = import_string(backend)
    except ImportError:  # the send says so, as that message's (transient) error
        return None
    name = getattr(cls, "esp_name", None)  # a class attribute on every concrete backend
    if not (isinstance(cls, type) and issubclass(cls, AnymailBaseBackend)):
        return None
    return BATCH_ESPS.get(name) if isinstance(name, str) else None


def batch_email(
    messages: list[OutboundMessage], neutral: NeutralEmails, esp: BatchESP
) -> EmailMultiAlternatives:
    """One email to every recipient of ``messages`` (neutral, one key, distinct addresses):
    the neutral bodies with the ESP's merge fields for the links, each recipient's links in
    ``merge_data`` (raw for the text, escaped for the HTML, as the template does) and their
    headers in ``merge_headers``. After the ESP merges, each gets ``build_email``'s email."""
    text, html = neutral.marked(messages[0])
    field_ = esp.merge_field.format
    text = text.replace(LINK_MARK, field_("link")).replace(UNSUBSCRIBE_MARK, field_("unsubscribe"))
    html = html.replace(LINK_MARK, field_("link_html"))
    html = html.replace(UNSUBSCRIBE_MARK, field_("unsubscribe_html"))
    email = EmailMultiAlternatives(
        subject=SUBJECT, body=text, to=[m.client.email for m in messages]
    )
    email.attach_alternative(html, "text/html")
    email.merge_data = {  # type: ignore[attr-defined]
        m.client.email: {
            "link": m.link,
            "unsubscribe": m.unsubscribe_link,
            "link_html": escape(m.link),
            "unsubscribe_html": escape(m.unsubscribe_link),
        }
        for m in messages
    }
    email.merge_headers = {m.client.email: _headers(m) for m in messages}  # type: ignore[attr-defined]
    if esp.esp_extra:  # a copy: a payload may keep (and change) what it is given
        email.esp_extra = copy.deepcopy(esp.esp_extra)  # type: ignore[attr-defined]
    return email


def _recipient_outcomes(
    email: EmailMultiAlternatives, messages: list[OutboundMessage]
) -> list[str | ChannelError]:
    """Each message's outcome from the status the ESP reported for its recipient."""
    statuses = getattr(getattr(email, "anymail_status", None), "recipients", None) or {}
    folded = {address.lower(): status for address, status in statuses.items()}
    outcomes: list[str | ChannelError] = []
    for message in messages:
        status = folded.get(message.client.email.lower())
        value = getattr(status, "status", None)
        if value in _SENT_STATUSES:
            provider_id = getattr(status, "message_id", None)
            outcomes.append(str(provider_id or message.message_id)[:128])
        elif value in _PERMANENT_STATUSES:
            outcomes.append(PermanentChannelError(f"recipient-{value}"))
        elif value == "failed":
            outcomes.append(TransientChannelError("recipient-failed"))
        else:
            outcomes.append(UnconfirmedChannelError(f"batch-status:{value or 'missing'}"))
    return outcomes
