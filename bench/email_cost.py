"""Email backends: what one prompt's email costs the sending process, by backend.

The morning peak sends to a null backend (Django's dummy backend: the email is built and
rendered, never turned into MIME). A real deployment sends by SMTP or through an ESP with
django-anymail. Here N neutral prompt emails (each with its own two signed links, built as
the outbox builds them) go, in this one process, through:

- ``dummy``: the outbox's rendering only (the neutral email rendered once, links
  substituted), as in the morning peak;
- ``mime``: that, plus the MIME message Django's SMTP backend would write;
- ``smtp``: Django's SMTP backend over one connection to a local SMTP sink (aiosmtpd's Sink
  handler, in its own process, so its work is not counted here);
- ``anymail``: django-anymail's test backend, one API call per message (no network: the
  payload an ESP backend builds, and the per-recipient status it parses);
- ``anymail-batch``: the same backend, one call per sub-batch of K recipients with
  ``merge_data`` and ``merge_headers`` (each recipient's links and Message-ID), reading back a
  status per recipient, as ESPs with batch sending report it (the email channel's
  ``send_batch``);
- ``outbox`` and ``outbox-batch``: what both delivery paths run for each marked sub-batch of
  K (``outbox.attempt_all``: the message built from the prompt, the channel, each result and
  the circuit breaker's bookkeeping) through the same test backend, with EMAIL_BATCH_SEND off
  (one call per message) and on (one call per sub-batch).

The figure is the sending process's CPU time per message (and messages/s of wall time).

    python bench/email_cost.py [--messages 2000] [--batch 50] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import bench_env, write_section


def _setup() -> None:
    os.environ.update(bench_env())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    import django

    django.setup()  # no database: nothing here reads or writes one


def _messages(n: int) -> list:
    from planner.delivery import links
    from planner.delivery.channels import OutboundMessage
    from planner.delivery.outbox import NEUTRAL_TEXT
    from planner.models import Client

    made = []
    for i in range(1, n + 1):
        client = Client(id=i, user_id=None, email=f"peak-{i}@example.invalid")
        made.append(
            OutboundMessage(
                client=client,
                prompt_id=i,
                delivery_id=i,
                category="coping",
                full_text="",
                neutral_text=NEUTRAL_TEXT,
                link=links.make_url("inbox", "/l/inbox/", user_id=i),
                message_id=f"<delivery-{i}.prompt-{i}@127.0.0.1>",
                unsubscribe_link=links.make_url(
                    "unsubscribe", "/l/unsubscribe/", user_id=i, object_id=i
                ),
            )
        )
    return made


def _through_channel(messages: list, backend: str, *, mime: bool = False) -> None:
    from django.test import override_settings

    from planner.delivery.channels.email import EmailChannel, build_email

    with override_settings(EMAIL_BACKEND=backend):
        if mime:  # what the SMTP backend would write, without a server
            from planner.delivery.channels.email import NeutralEmails

            neutral = NeutralEmails()
            for message in messages:
                assert build_email(message, neutral).message().as_bytes()
            return
        channel = EmailChannel()
        channel.open()
        try:
            for message in messages:
                channel.send(message)
        finally:
            channel.close()


def _anymail_batches(messages: list, size: int) -> int:
    """One API call per sub-batch; the number of recipients reported sent."""
    from planner.delivery.channels.email import EmailChannel

    channel = EmailChannel()
    channel.open()
    try:
        outcomes = []
        for start in range(0, len(messages), size):
            outcomes += channel.send_batch(messages[start : start + size])
    finally:
        channel.close()
    return sum(1 for outcome in outcomes if isinstance(outcome, str))


def _sends(n: int) -> list:
    """The outbox's sends of n neutral prompts (unsaved rows: nothing reads the database)."""
    from planner.delivery.outbox import _Send
    from planner.models import Client, ScheduledPrompt

    made = []
    for i in range(1, n + 1):
        client = Client(id=i, user_id=None, email=f"peak-{i}@example.invalid")
        prompt = ScheduledPrompt(
            id=i, client=client, break_obj_id=i, category="coping", text="A coping prompt."
        )
        made.append(_Send(i, "email", 1, prompt))
    return made


def _through_outbox(sends: list, size: int) -> int:
    """outbox.attempt_all per sub-batch of ``size``; the number of results sent."""
    from django.utils import timezone

    from planner.delivery import outbox
    from planner.delivery.circuit import Breakers

    now = timezone.now()
    breakers = Breakers(now=now)  # nothing paused or failing: no database
    channels: dict = {}
    sent = 0
    try:
        for start in range(0, len(sends), size):
            chunk = sends[start : start + size]
            sent += sum(
                r.outcome == "sent" for r in outbox.attempt_all(chunk, channels, breakers, now=now)
            )
    finally:
        for channel in channels.values():
            channel.close()
    return sent


def _sink() -> tuple[subprocess.Popen, int]:
    from tests.integration.smtp_sink import free_port

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l",
         f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    import socket

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the SMTP sink did not start")


def _measure(label: str, n: int, work) -> dict:
    from django.core import mail

    # The anymail test backend keeps what it sent, and finds each message's id by its place
    # there (a scan): a list left from the previous variant would slow this one down.
    mail.outbox = []
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    figure = {"label": label, "us": cpu / n * 1e6, "rate": n / wall}
    print(f"  {label:14} {figure['us']:8.1f} us CPU per message, {figure['rate']:9,.0f} messages/s")
    return figure


def run(n: int, size: int, *, write: bool = True) -> list[dict]:
    _setup()
    from django.test import override_settings

    print(f"email cost: {n:,} neutral prompt emails, each with its own two links")
    dummy = "django.core.mail.backends.dummy.EmailBackend"
    figures = [
        _measure("dummy", n, lambda: _through_channel(_messages(n), dummy)),
        _measure("mime", n, lambda: _through_channel(_messages(n), dummy, mime=True)),
    ]
    proc, port = _sink()
    try:
        smtp = "django.core.mail.backends.smtp.EmailBackend"
        with override_settings(EMAIL_HOST="127.0.0.1", EMAIL_PORT=port, EMAIL_USE_TLS=False):
            figures.append(_measure("smtp", n, lambda: _through_channel(_messages(n), smtp)))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    test = "anymail.backends.test.EmailBackend"
    sent: list[int] = []
    with override_settings(ANYMAIL={}, EMAIL_BACKEND=test):
        figures.append(_measure("anymail", n, lambda: _through_channel(_messages(n), test)))
        figures.append(
            _measure("anymail-batch", n, lambda: sent.append(_anymail_batches(_messages(n), size)))
        )
        for label, batch in (("outbox", False), ("outbox-batch", True)):
            with override_settings(EMAIL_BATCH_SEND=batch):
                figures.append(
                    _measure(label, n, lambda: sent.append(_through_outbox(_sends(n), size)))
                )
    print(f"  anymail-batch: {sent[0]:,} of {n:,} recipients reported sent, one status each")
    print(f"  outbox: {sent[1]:,} sent; outbox-batch: {sent[2]:,} sent")
    by_label = {f["label"]: f["us"] for f in figures}
    print(f"  ratio outbox-batch / outbox {by_label['outbox-batch'] / by_label['outbox']:.2f}")
    if write:
        rows = ["| backend | CPU per message (sending process) | messages/s |", "|---|---:|---:|"]
        rows += [f"| `{f['label']}` | {f['us']:,.0f} us | {f['rate']:,.0f} |" for f in figures]
        rows += [
            "",
            "Each figure includes building the message with its two signed links (as the "
            f"outbox does). `anymail-batch`: sub-batches of {size} recipients, one status each "
            f"({sent[0]:,} of {n:,} reported sent). `outbox`, `outbox-batch`: "
            "`outbox.attempt_all` per sub-batch (what both delivery paths run), EMAIL_BATCH_SEND "
            "off and on.",
        ]
        write_section(
            "email",
            "5. Email backends",
            "\n".join(rows),
            f"python bench/email_cost.py --messages {n} --batch {size}",
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    run(args.messages, args.batch, write=not args.no_write)


if __name__ == "__main__":
    main()
