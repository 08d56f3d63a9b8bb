"""Delivering a claimed batch: set-based on PostgreSQL, the general path elsewhere.

``deliver_batch`` is what the ``planner.deliver_batch`` task runs. On PostgreSQL the common
case of a morning peak (a prompt's first pass, the break live, the inbox and at most email,
email not paused) takes the fast path below; every other prompt of the batch (retries, a task
run twice, SMS or any other channel, a prompt to skip) and every database but PostgreSQL
(SQLite is the embedded default) take the general path, ``outbox.deliver_batch``, which the
fast path also hands back what it cannot finish (a break paused or edited under it, a channel
paused mid-batch). Both keep the same guarantees (see ``outbox``): the inbox exactly once, one
Delivery per (prompt, channel), at most DISPATCH_ATTEMPT_BATCH messages per worker process
``attempting`` at any moment, and an attempt never repeated.

1. One transaction: lock and read the claimed rows as tuples in one statement joining break
   and client; write the inbox messages with ``INSERT ... SELECT`` and their deliveries with
   one multi-row insert; prompts without email are settled ``sent`` here. A lease is extended
   only when what is left of it is shorter than the task's hard time limit plus a margin.
2. Sub-batches of DISPATCH_ATTEMPT_BATCH: one commit stores the previous sub-batch's results
   and inserts the next one's email deliveries directly as ``attempting`` (guarded: prompt
   still claimed with this token, plan version current, break live and not paused;
   ``ON CONFLICT (prompt, channel) DO NOTHING``); then the messages go to the backend over one
   connection (``outbox.attempt_all``: one at a time, or the neutral ones in one ESP batch
   call), each keeping its own outcome.
3. One transaction: the last results, and every prompt settled with one
   ``UPDATE ... FROM unnest(...)``.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from planner.delivery import outbox
from planner.delivery.circuit import Breakers
from planner.delivery.outbox import BatchSummary, pg_execute
from planner.models import Break, Delivery, ScheduledPrompt

logger = logging.getLogger(__name__)

PS = ScheduledPrompt.Status
DS = Delivery.Status
LEASE_MARGIN_SECONDS = 30


def deliver_batch(
    prompt_ids: list[int], claim_token: str, *, now: datetime | None = None
) -> BatchSummary:
    if connection.vendor != "postgresql":
        return outbox.deliver_batch(prompt_ids, claim_token, now=now)
    clock = (lambda: now) if now else timezone.now
    start = clock()
    token = uuid.UUID(str(claim_token))
    summary = BatchSummary()
    breakers = Breakers.load(now=start)
    with _no_table_scans():
        fast, rest = _prepare(prompt_ids, token, now=start, summary=summary, breakers=breakers)
        results, handed_back = _send(fast, token, now=start, breakers=breakers)
        if results:
            _finish(results, token, now=clock(), summary=summary)
    for ids, counted in ((rest, False), (handed_back, True)):
        if ids:
            _add(summary, outbox.deliver_batch(ids, claim_token, now=now), counted=counted)
    return summary


def _add(summary: BatchSummary, general: BatchSummary, *, counted: bool) -> None:
    """The general path's part; ``counted``: its prompts were counted by the fast path."""
    summary.prompts += 0 if counted else general.prompts
    summary.inbox += general.inbox
    summary.attempted += general.attempted
    for status, count in general.counts.items():
        summary.counts[status] = summary.counts.get(status, 0) + count


# --- the rows, as plain tuples ----------------------------------------------------------------


@dataclass(slots=True)
class _ClientRow:
    pk: int
    user_id: int | None
    email: str
    full_text_opt_in: bool
    channels: list[str]
    deleted_at: datetime | None
    paused_until: datetime | None
    timezone: str
    quiet_hours_start: time | None
    quiet_hours_end: time | None

    def is_paused(self, at: datetime) -> bool:  # as Client.is_paused
        return self.paused_until is not None and self.paused_until > at


@dataclass(slots=True)
class _BreakRow:
    status: str
    paused_at: datetime | None
    plan_version: int
    timezone: str
    quiet_hours_start: time | None
    quiet_hours_end: time | None


@dataclass(slots=True)
class _PromptRow:
    """What outbox.skip_reason, build_message and _apply_outcome read of a prompt."""

    pk: int
    client_id: int
    break_obj_id: int
    category: str
    text: str
    plan_version: int
    valid_until: datetime
    claimed_until: datetime | None
    client: _ClientRow
    break_obj: _BreakRow
    status: str = PS.CLAIMED
    skip_reason: str = ""
    due_at: datetime | None = None
    claim_token: uuid.UUID | None = None
    last_error: str = ""
    sent_at: datetime | None = None
    finished_at: datetime | None = None
    letter_id: int | None = None  # a letter's prompt never takes this path (see _SELECT)


@dataclass(slots=True)
class _DeliveryRow:
    status: str
    next_attempt_at: datetime | None = None
    last_error: str = ""


_INBOX_SENT = _DeliveryRow(DS.SENT)

_SELECT = """
SELECT p.id, p.client_id, p.break_id, p.category, p.text, p.plan_version, p.valid_until,
       p.claimed_until,
       c.user_id, c.email, c.full_text_opt_in, c.channels, c.deleted_at, c.paused_until,
       c.timezone, c.quiet_hours_start, c.quiet_hours_end,
       b.status, b.paused_at, b.plan_version, b.timezone, b.quiet_hours_start,
       b.quiet_hours_end,
       EXISTS (SELECT 1 FROM planner_delivery d WHERE d.prompt_id = p.id)
         OR p.letter_id IS NOT NULL
FROM planner_scheduledprompt p
JOIN planner_break b ON b.id = p.break_id
JOIN planner_client c ON c.id = p.client_id
WHERE p.id = ANY(%s) AND p.status || '' = %s AND p.claim_token = %s
ORDER BY p.send_at, p.id
FOR UPDATE OF p
"""
# (The last column sends a prompt to the general path: it has deliveries already (a retry, a
# duplicated task), or it brings a letter to self, whose words only outbox.build_message reads.)
# (`status || ''`: the rows are found by primary key, never by a status index, whose
# statistics lag far behind during a peak; see outbox._mark_attempting_many. Measured: the
# break's status index chosen, estimated at 5 rows, scanning every live break per sub-batch.)


def _row(values: tuple) -> tuple[_PromptRow, bool]:
    (pk, client_id, break_id, category, text, version, valid_until, claimed_until) = values[:8]
    user_id, email, opt_in, channels, deleted_at, paused_until, zone, qh_start, qh_end = values[
        8:17
    ]
    if isinstance(channels, str):
        channels = json.loads(channels)
    client = _ClientRow(
        client_id, user_id, email, opt_in, channels or [], deleted_at, paused_until, zone,
        qh_start, qh_end,
    )  # fmt: skip
    brk = _BreakRow(*values[17:23])
    prompt = _PromptRow(
        pk, client_id, break_id, category, text, version, valid_until, claimed_until,
        client, brk,
    )  # fmt: skip
    return prompt, bool(values[23])


@contextmanager
def _no_table_scans() -> Iterator[None]:
    """While the fast path runs: every statement here finds its rows by primary key or by the
    prompt's index; a table scan is only ever chosen on statistics that lag behind the peak
    (measured: the deliveries, analyzed while nearly empty, scanned once per prompt of the
    batch to answer "has it a delivery yet?", and once per email sub-batch to store its
    results). Set for the connection's session, not per transaction: a sub-batch is one
    statement in a transaction of its own, and SET LOCAL would cost it two more round trips.
    Reset afterwards, or the connection is closed, so no other task ever plans without it."""
    pg_execute("SET enable_seqscan = off", [])
    try:
        yield
    finally:
        try:
            pg_execute("RESET enable_seqscan", [])
        except DatabaseError:
            connection.close()  # a new connection starts with the server's defaults


# --- 1. lock, check, write the inbox ----------------------------------------------------------


def _prepare(
    prompt_ids: list[int],
    token: uuid.UUID,
    *,
    now: datetime,
    summary: BatchSummary,
    breakers: Breakers,
) -> tuple[list[_PromptRow], list[int]]:
    """The prompts for email (inbox written) and the ids for the general path."""
    fast: list[_PromptRow] = []
    rest: list[int] = []
    inbox_only: list[int] = []
    email_paused = breakers.paused_until("email") is not None
    with transaction.atomic():
        for values in pg_execute(_SELECT, [list(prompt_ids), PS.CLAIMED, token]):
            prompt, has_deliveries = _row(values)
            wanted = outbox.wanted_channels(cast(Any, prompt))
            if (
                has_deliveries
                or outbox.skip_reason(cast(Any, prompt), now=now)
                or not set(wanted) <= {"email"}
                or (wanted and email_paused)
            ):
                rest.append(prompt.pk)
            elif wanted:
                fast.append(prompt)
            else:
                inbox_only.append(prompt.pk)
        ids = [p.pk for p in fast] + inbox_only
        if not ids:
            return fast, rest
        pg_execute(
            "INSERT INTO planner_inboxmessage "
            "(client_id, prompt_id, break_id, category, text, delivered_at) "
            "SELECT client_id, id, break_id, category, text, %s "
            "FROM planner_scheduledprompt WHERE id = ANY(%s)",
            [now, ids],
        )
        pg_execute(
            "INSERT INTO planner_delivery (prompt_id, channel, status, attempts, last_error, "
            "provider_id, message_id, created_at, attempted_at, sent_at) "
            "SELECT id, 'inbox', %s, 1, '', '', '', %s, %s, %s FROM unnest(%s::bigint[]) AS id",
            [DS.SENT, now, now, now, ids],
        )
        if inbox_only:
            pg_execute(
                "UPDATE planner_scheduledprompt SET status = %s, sent_at = %s, "
                "finished_at = %s, claim_token = NULL, claimed_until = NULL, last_error = '' "
                "WHERE id = ANY(%s)",
                [PS.SENT, now, now, inbox_only],
            )
        # The lease outlives the task's hard time limit (tasks.py), or it is extended.
        enough = now + timedelta(seconds=outbox.DELIVER_TIME_LIMIT + LEASE_MARGIN_SECONDS)
        short = [p.pk for p in fast if p.claimed_until is None or p.claimed_until < enough]
        if short:
            lease = now + timedelta(seconds=settings.DISPATCH_LEASE_SECONDS)
            pg_execute(
                "UPDATE planner_scheduledprompt SET claimed_until = %s, due_at = %s "
                "WHERE id = ANY(%s)",
                [lease, lease, short],
            )
    summary.prompts += len(ids)
    summary.inbox += len(ids)
    summary.counts[PS.SENT] = summary.counts.get(PS.SENT, 0) + len(inbox_only)
    for pk in ids:
        logger.info("dispatch.sent prompt=%s channel=inbox", pk)
    return fast, rest


# --- 2. email, in sub-batches -----------------------------------------------------------------

_ATTEMPT = f"""
WITH stored AS ({outbox.STORE_RESULTS})
INSERT INTO planner_delivery (id, prompt_id, channel, status, attempts, last_error,
                              provider_id, message_id, created_at, attempted_at)
SELECT s.id, s.prompt_id, 'email', %s, 1, '', '',
       '<delivery-' || s.id || '.prompt-' || s.prompt_id || '@' || %s || '>', %s, %s
FROM (SELECT nextval((SELECT pg_get_serial_sequence('planner_delivery', 'id'))::regclass)
               AS id,
             p.id AS prompt_id
      FROM planner_scheduledprompt p JOIN planner_break b ON b.id = p.break_id
      WHERE p.id = ANY(%s) AND p.status || '' = %s AND p.claim_token = %s
        AND p.plan_version = b.plan_version AND b.status || '' = ANY(%s) AND b.paused_at IS NULL
     ) AS s
ON CONFLICT (prompt_id, channel) DO NOTHING
RETURNING id, prompt_id
"""  # noqa: S608 - outbox.STORE_RESULTS is a constant; every value is a parameter
# (The sequence's name is looked up once a statement, by the scalar subquery; as nextval's
# argument it was looked up again for every row: measured 0.40 against 0.15 ms for 50 rows.)


def _send(
    prompts: list[_PromptRow], token: uuid.UUID, *, now: datetime, breakers: Breakers
) -> tuple[list[outbox._Result], list[int]]:
    """The email results, and the prompts handed back to the general path: those the guard
    refused (paused, edited, no longer ours, or written by a duplicated task) and those left
    when the circuit breaker paused email."""
    size = max(1, settings.DISPATCH_ATTEMPT_BATCH)
    channels: dict = {}
    results: list[outbox._Result] = []
    unstored: list[outbox._Result] = []
    handed_back: list[int] = []
    domain = outbox._message_domain()
    live = list(Break.LIVE_STATUSES)
    try:
        for start in range(0, len(prompts), size):
            chunk = prompts[start : start + size]
            if breakers.paused_until("email") is not None:
                handed_back += [p.pk for p in prompts[start:]]
                break
            by_pk = {p.pk: p for p in chunk}
            # One statement, one commit: the previous sub-batch's results stored (a
            # data-modifying CTE) and this one's deliveries inserted ``attempting``.
            params: list[Any] = outbox.result_columns(unstored, now=now)
            params += [DS.ATTEMPTING, domain, now, now, list(by_pk), PS.CLAIMED, token, live]
            # Not in an atomic block: one statement is its own transaction, committed by the
            # server as it answers (one round trip, where BEGIN and COMMIT made three).
            marked = dict(pg_execute(_ATTEMPT, params))  # delivery id -> prompt id
            unstored = []
            attempted = set(marked.values())
            handed_back += [pk for pk in by_pk if pk not in attempted]
            sends = [
                outbox._Send(delivery_id, "email", 1, cast(ScheduledPrompt, by_pk[prompt_id]))
                for delivery_id, prompt_id in sorted(marked.items(), key=lambda kv: kv[1])
            ]
            for result in outbox.attempt_all(sends, channels, breakers, now=now):
                unstored.append(result)
                results.append(result)
    finally:
        try:
            outbox._store_results(unstored, now=now)
        finally:
            for channel in channels.values():
                channel.close()
    return results, handed_back


# --- 3. settle --------------------------------------------------------------------------------

_SETTLE = """
UPDATE planner_scheduledprompt
SET status = %s, finished_at = %s, sent_at = %s, due_at = COALESCE(%s, due_at),
    last_error = %s, skip_reason = '', claim_token = NULL, claimed_until = NULL,
    attempts = attempts + 1
WHERE id = ANY(%s::bigint[]) AND status || '' = %s AND claim_token = %s
RETURNING id, status
"""
# One statement per set of values (in a batch almost every prompt ends the same way), not a
# join to unnest(...): during a peak the planner expects one claimed row of this token, and
# measured such a join as a nested loop that read the whole unnest once per row (6.7 s).


def _finish(
    results: list[outbox._Result], token: uuid.UUID, *, now: datetime, summary: BatchSummary
) -> None:
    groups: dict[tuple, list[int]] = defaultdict(list)
    for result in results:
        prompt = cast(_PromptRow, result.send.prompt)
        email = _email_state(result, now=now)
        outbox._apply_outcome(cast(Any, prompt), cast(Any, [_INBOX_SENT, email]), now=now)
        due = prompt.due_at if prompt.status == PS.PENDING else None
        values = (prompt.status, prompt.finished_at, prompt.sent_at, due, prompt.last_error)
        groups[values].append(prompt.pk)
    permanent = [r.send.prompt.pk for r in results if r.outcome == "permanent"]
    settled: list[tuple] = []
    with transaction.atomic():
        for values, ids in groups.items():
            settled += pg_execute(_SETTLE, [*values, ids, PS.CLAIMED, token])
        if permanent:
            # Real rows: switching a channel off writes the client and a consent record.
            mine = ScheduledPrompt.objects.filter(id__in=permanent).select_related("client")
            outbox._switch_off_after_permanent_error([(p, "email") for p in mine])
    for pk, status in settled:
        summary.counts[status] = summary.counts.get(status, 0) + 1
        if status != PS.SENT:
            logger.info("dispatch.%s prompt=%s", status, pk)
    summary.attempted += sum(1 for r in results if r.outcome != "deferred")


def _email_state(result: outbox._Result, *, now: datetime) -> _DeliveryRow:
    """The email delivery as outbox._store_results stored it (its status, retry time and
    error), for outbox._apply_outcome."""
    _id, status, last_error, next_at, *_rest = outbox._result_row(result, now=now)
    return _DeliveryRow(status, next_at, last_error)
