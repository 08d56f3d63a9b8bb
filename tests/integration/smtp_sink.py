"""A local SMTP server (aiosmtpd) for integration tests: it keeps each message's Message-ID.

``drop_after_data``: how many messages (from the first) the server stores and then answers
with nothing, dropping the connection before its 250: the sender cannot know it arrived."""

from __future__ import annotations

import logging
import socket
import threading
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd names it so
        dropped = self.sink.add(message_from_bytes(envelope.content))
        if dropped:
            server.transport.abort()  # stored, and the connection gone before the reply
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A local port nothing listens on (yet)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    def __init__(self, *, drop_after_data: int = 0, port: int | None = None) -> None:
        self.messages: list[Message] = []
        self.drop_after_data = drop_after_data
        self.dropped = 0
        self._lock = threading.Lock()
        self.port = port or free_port()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def add(self, message: Message) -> bool:
        """Store the message; True when the connection is to be dropped before the reply."""
        with self._lock:
            self.messages.append(message)
            if self.dropped < self.drop_after_data:
                self.dropped += 1
                return True
            return False

    def message_ids(self) -> list[str]:
        with self._lock:
            return [str(m["Message-ID"]) for m in self.messages]

    def worker_env(self) -> dict[str, str]:
        return smtp_env(self.port)

    def start(self) -> SmtpSink:
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


def smtp_env(port: int) -> dict[str, str]:
    """What a worker needs to send email by SMTP to 127.0.0.1:``port``."""
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_TIMEOUT": "5",
    }
