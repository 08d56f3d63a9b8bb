"""The outbox: claim due prompts, deliver them in batches, recover stale claims.

Life of a prompt (``ScheduledPrompt.status``)::

    pending --sweep--> claimed --deliver_batch--> sent | skipped | failed | unconfirmed
       ^                  |
       +-- retry ---------+   (a transient email/SMS error: back to pending, due at the backoff)

1. ``sweep`` (Celery beat, every DISPATCH_SWEEP_SECONDS) claims due rows in batches with
   ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL (a conditional update elsewhere), gives
   each batch one claim token and a lease (``claimed_until``, and ``due_at`` moves to the end of
   the lease), and after commit enqueues one ``deliver_batch`` task per batch. A claim whose
   lease ran out is simply due again, so the sweep is also the reaper.
2. ``deliver_batch``, phase 1, one transaction: lock the rows still claimed with this token,
   re-check the break (live, not paused, same plan version), the validity window and quiet
   hours; bulk-create the inbox messages (the inbox is transactional: exactly once) and the
   Delivery rows for email/SMS as ``queued``; commit.
3. Phase 2, no transaction open: for each queued delivery, a conditional update moves it to
   ``attempting`` only if it is still queued and its prompt still claimed by us with the
   break's current plan version (this is what makes a duplicated or stale task harmless); then
   the provider is called and the result stored at once. So at most one message per worker
   process is ever between "provider called" and "result stored": a crash there leaves one
   ``attempting`` row, which the reaper turns into ``unconfirmed`` and never resends. A
   provider that had the message and gave no answer (the SMTP connection dropped or timed out
   after DATA) is ``unconfirmed`` at once, for the same reason.
4. Phase 3, one transaction: the prompts' final states with one bulk update; permanent provider
   errors switch the channel off for the client (with a consent record) and, after commit,
   tell the therapist.

A prompt is ``sent`` once its inbox message exists and every external channel is sent, was
permanently refused (and switched off) or withdrawn; ``failed`` when a channel ran out of
transient retries (DISPATCH_MAX_ATTEMPTS); ``pending`` again while a channel waits for its retry
(``Delivery.next_attempt_at``, exponential backoff; the prompt's ``due_at`` follows the earliest
one, and a retry pass re-attempts only the channels that still need it).
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache, partial
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.db.cursors import prepared_cursor
from planner import enqueue
from planner.delivery import links
from planner.delivery.channels import (
    EXTERNAL_CHANNELS,
    Channel,
    ChannelError,
    OutboundMessage,
    PermanentChannelError,
    TransientChannelError,
    UnconfirmedChannelError,
    get_channel,
)
from planner.delivery.channels.inbox import InboxChannel
from planner.delivery.circuit import PAUSED, Breakers
from planner.models import Break, Delivery, InboxMessage, ScheduledPrompt
from planner.privacy.consent import channel_consent_set
from planner.schedule.localtime import in_quiet_hours

logger = logging.getLogger(__name__)

NEUTRAL_TEXT = "You have a new message in Between."
MAX_SWEEP_BATCHES = 1000  # a bound on one sweep; the next beat tick continues
# The deliver_batch task's hard time limit (planner/tasks.py). It stays under the claim lease
# (DISPATCH_LEASE_SECONDS, default 300), so a live task is never reaped from under itself.
DELIVER_TIME_LIMIT = 240

Prompt = ScheduledPrompt
DS = Delivery.Status
PS = ScheduledPrompt.Status


def _locking(qs: QuerySet) -> QuerySet:
    """Row locks where the database has them (PostgreSQL); SQLite serialises writers instead."""
    if connection.features.has_select_for_update_skip_locked:
        return qs.select_for_update(skip_locked=True, of=("self",))
    return qs


def _has_row_locks() -> bool:
    return connection.features.has_select_for_update_skip_locked


def _lease(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.DISPATCH_LEASE_SECONDS)


# --- 1. The sweep -----------------------------------------------------------------------------


def sweep(*, now: datetime | None = None, batch_size: int | None = None) -> int:
    """Claim every due prompt, batch by batch; returns how many were claimed."""
    batch_size = batch_size or settings.DISPATCH_BATCH_SIZE
    total = 0
    for _ in range(MAX_SWEEP_BATCHES):
        found, claimed = _claim_batch(now=now or timezone.now(), batch_size=batch_size)
        total += claimed
        if found < batch_size:
            break
    if total:
        logger.info("dispatch.swept claimed=%s", total)
    return total


def _claim_batch(*, now: datetime, batch_size: int) -> tuple[int, int]:
    with transaction.atomic():
        # The partial index prompt_due_open_idx (due_at where status is open) serves this.
        due = Prompt.objects.filter(status__in=Prompt.OPEN_STATUSES, due_at__lte=now)
        rows = list(_locking(due.order_by("due_at")).values_list("id", "status")[:batch_size])
        if not rows:
            return 0, 0
        expired = [pk for pk, status in rows if status == PS.CLAIMED]
        crashed = _settle_crashed_claims(expired, now=now) if expired else set()
        ids = [pk for pk, _status in rows if pk not in crashed]
        if not ids:
            return len(rows), 0
        token = uuid.uuid4()
        lease = _lease(now)
        if connection.vendor == "postgresql":
            # The ids as one array parameter: through the ORM, 2,000 of them cost more in
            # Python (quoting and splitting the statement) than the update does in the server.
            pg_execute(
                f"UPDATE {Prompt._meta.db_table} SET status = %s, claim_token = %s, "  # noqa: S608
                "claimed_until = %s, due_at = %s WHERE id = ANY(%s::bigint[])",
                [PS.CLAIMED, token, lease, lease, ids],
            )
            transaction.on_commit(partial(_enqueue, ids, str(token)))
            return len(rows), len(ids)
        claim = Prompt.objects.filter(id__in=ids)
        if not _has_row_locks():
            # No row locks: the condition is the lock; then read back what we really got.
            claim = claim.filter(status__in=Prompt.OPEN_STATUSES, due_at__lte=now)
        claim.update(status=PS.CLAIMED, claim_token=token, claimed_until=lease, due_at=lease)
        if not _has_row_locks():
            ids = list(Prompt.objects.filter(claim_token=token).values_list("id", flat=True))
        if ids:
            transaction.on_commit(partial(_enqueue, ids, str(token)))
        return len(rows), len(ids)


def _enqueue(ids: list[int], token: str) -> None:
    try:
        enqueue.send(enqueue.DELIVER_BATCH, ids, token)
    except Exception:  # the lease brings them back; never lose the sweep
        logger.error("dispatch.enqueue_failed prompts=%s", len(ids))


def _settle_crashed_claims(prompt_ids: list[int], *, now: datetime) -> set[int]:
    """Expired claims with an email/SMS delivery still ``attempting``: the worker died after
    (or while) calling the provider. Whether it went out is unknown, so it is never resent:
    the delivery and the prompt become ``unconfirmed`` and are shown to staff."""
    crashed = set(
        Delivery.objects.filter(prompt_id__in=prompt_ids, status=DS.ATTEMPTING)
        .exclude(channel="inbox")
        .values_list("prompt_id", flat=True)
    )
    if not crashed:
        return crashed
    Delivery.objects.filter(prompt_id__in=crashed, status=DS.ATTEMPTING).update(
        status=DS.UNCONFIRMED, last_error="crashed-after-provider-call"
    )
    Delivery.objects.filter(prompt_id__in=crashed, status__in=[DS.QUEUED, DS.RETRY]).update(
        status=DS.SKIPPED, last_error="prompt-unconfirmed", next_attempt_at=None
    )
    Prompt.objects.filter(id__in=crashed).update(
        status=PS.UNCONFIRMED, finished_at=now, claim_token=None, claimed_until=None, last_error=""
    )
    for pk in sorted(crashed):
        logger.warning("dispatch.unconfirmed prompt=%s", pk)
    return crashed


# --- 2. Delivering a batch --------------------------------------------------------------------


@dataclass
class _Send:
    delivery_id: int
    channel: str
    attempts: int  # including this attempt
    prompt: ScheduledPrompt


@dataclass
class _Result:
    send: _Send
    outcome: str  # sent | retry | failed | permanent | unconfirmed | deferred | lost
    provider_id: str = ""
    error: str = ""
    retry_at: datetime | None = None  # deferred: when its paused channel opens again
    row: tuple | None = None  # as stored (_result_row), once computed


@dataclass
class BatchSummary:
    prompts: int = 0
    inbox: int = 0
    attempted: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def deliver_batch(
    prompt_ids: list[int], claim_token: str, *, now: datetime | None = None
) -> BatchSummary:
    clock = (lambda: now) if now else timezone.now
    now = clock()
    token = uuid.UUID(str(claim_token))
    summary = BatchSummary()
    breakers = Breakers.load(now=now)  # paused channels (planner/delivery/circuit.py)
    sends = _prepare(prompt_ids, token, now=now, summary=summary, paused=breakers.paused)
    results = _send_all(sends, token, now=now, breakers=breakers) if sends else []
    summary.attempted = sum(1 for r in results if r.outcome != "deferred")
    if results:
        # A prompt is sent when its last channel is: phase 3's time, not the batch's start.
        _finish(results, token, now=clock(), summary=summary)
    return summary


def skip_reason(prompt: ScheduledPrompt, *, now: datetime) -> str:
    """Why this claimed prompt must not go out now ('' when it may)."""
    brk: Break = prompt.break_obj
    client = prompt.client
    reasons = Prompt.SkipReason
    if brk.status != Break.Status.ACTIVE and brk.status != Break.Status.SCHEDULED:
        return reasons.EXPIRED if brk.status == Break.Status.COMPLETED else reasons.CANCELLED
    if client.deleted_at is not None:
        return reasons.CLIENT_DELETED
    if brk.paused_at is not None or client.is_paused(now):
        return reasons.PAUSED
    if prompt.plan_version != brk.plan_version:
        return reasons.SUPERSEDED  # the edit wrote new rows; this text is stale
    if now > prompt.valid_until:
        return reasons.EXPIRED  # late (workers were down): not sent at night
    start = brk.quiet_hours_start or client.quiet_hours_start
    end = brk.quiet_hours_end or client.quiet_hours_end
    local = now.astimezone(ZoneInfo(brk.timezone or client.timezone))
    if in_quiet_hours(local.time().replace(tzinfo=None), start, end):
        return reasons.QUIET_HOURS
    return ""


def wanted_channels(prompt: ScheduledPrompt) -> list[str]:
    """The external channels the client currently has switched on."""
    return [c for c in EXTERNAL_CHANNELS if c in (prompt.client.channels or [])]


def _prepare(
    prompt_ids: list[int],
    token: uuid.UUID,
    *,
    now: datetime,
    summary: BatchSummary,
    paused: dict[str, datetime] | None = None,
) -> list[_Send]:
    """Phase 1: lock, re-check, write the inbox and the attempt records; one transaction.

    ``paused``: channels paused by the circuit breaker, and until when."""
    paused = paused or {}
    with transaction.atomic():
        mine = Prompt.objects.filter(id__in=prompt_ids, status=PS.CLAIMED, claim_token=token)
        prompts = list(_locking(mine.select_related("break_obj", "client")))
        summary.prompts = len(prompts)
        if not prompts:
            return []
        existing = _deliveries_by_prompt([p.pk for p in prompts])
        inbox = InboxChannel()
        new_inbox: list[InboxMessage] = []
        new_deliveries: list[Delivery] = []
        changed: list[Delivery] = []
        for prompt in prompts:
            dels = existing[prompt.pk]
            reason = skip_reason(prompt, now=now)
            if reason and "inbox" not in dels:
                _mark_done(prompt, PS.SKIPPED, now=now, reason=reason)
                continue
            if "inbox" not in dels:
                new_inbox.append(inbox.build(prompt, now=now))
                dels["inbox"] = Delivery(
                    prompt=prompt, channel="inbox", status=DS.SENT, attempts=1,
                    attempted_at=now, sent_at=now,
                )  # fmt: skip
                new_deliveries.append(dels["inbox"])
            _plan_external(prompt, dels, reason, now, new_deliveries, changed, paused)
        InboxMessage.objects.bulk_create(new_inbox)
        # (prompt, channel) is unique; the rows are locked, so the pre-check above is exact
        # and a duplicated task finds the rows instead of writing them again.
        Delivery.objects.bulk_create(new_deliveries)
        _save_fields(Delivery, changed, ["status", "last_error", "next_attempt_at"])
        summary.inbox = len(new_inbox)
        sends = _settle_prepared(prompts, existing, now=now)
        fields = ["status", "skip_reason", "finished_at", "sent_at", "claim_token"]
        fields += ["claimed_until", "due_at", "attempts", "last_error"]
        _save_fields(Prompt, prompts, fields)
    for prompt in prompts:
        if prompt.status in Prompt.TERMINAL_STATUSES:
            summary.counts[prompt.status] = summary.counts.get(prompt.status, 0) + 1
            _log_done(prompt)
    for pk in (m.prompt_id for m in new_inbox):
        logger.info("dispatch.sent prompt=%s channel=inbox", pk)
    return sends


def _save_fields(model, objs: list, fields: list[str]) -> None:
    """Save `fields` of `objs` with one UPDATE per distinct set of values.

    In a batch almost every row ends with the same values (sent, at the same time), so this is
    one or a few ``UPDATE ... WHERE id IN (...)`` instead of ``bulk_update``'s one statement of
    ``CASE WHEN id = ... THEN ...`` per field and row, whose building cost more than the
    database's work (profiled: about 1 s of a 500-prompt batch)."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for obj in objs:
        groups[tuple(getattr(obj, f) for f in fields)].append(obj.pk)
    for values, pks in groups.items():
        model.objects.filter(pk__in=pks).update(**dict(zip(fields, values, strict=True)))


def _deliveries_by_prompt(prompt_ids: list[int]) -> dict[int, dict[str, Delivery]]:
    by_prompt: dict[int, dict[str, Delivery]] = defaultdict(dict)
    for d in Delivery.objects.filter(prompt_id__in=prompt_ids):
        by_prompt[d.prompt_id][d.channel] = d
    return by_prompt


def _plan_external(prompt, dels, reason, now, new_deliveries, changed, paused) -> None:
    """Queue the email/SMS deliveries this pass should attempt (first pass or a due retry).

    A channel that is paused (its provider kept failing) is not attempted: its delivery waits
    as ``retry`` until the pause ends, and spends no attempt."""
    wanted = wanted_channels(prompt)
    for channel in EXTERNAL_CHANNELS:
        d = dels.get(channel)
        until = paused.get(channel)
        if d is None:
            if channel in wanted and not reason:
                if until is not None:
                    d = Delivery(prompt=prompt, channel=channel, status=DS.RETRY)
                    d.next_attempt_at, d.last_error = until, PAUSED
                else:
                    d = Delivery(prompt=prompt, channel=channel, status=DS.QUEUED)
                dels[channel] = d
                new_deliveries.append(d)
            continue
        if d.status not in (DS.QUEUED, DS.RETRY):
            continue  # terminal, or attempting in another process
        skip = reason or ("" if channel in wanted else Prompt.SkipReason.CHANNEL_WITHDRAWN)
        if skip:
            d.status, d.last_error, d.next_attempt_at = DS.SKIPPED, str(skip), None
            changed.append(d)
        elif until is not None:
            if (d.status, d.next_attempt_at) != (DS.RETRY, until):
                d.status, d.last_error, d.next_attempt_at = DS.RETRY, PAUSED, until
                changed.append(d)
        elif d.status == DS.RETRY and d.next_attempt_at and d.next_attempt_at <= now:
            d.status, d.next_attempt_at = DS.QUEUED, None
            changed.append(d)


def _settle_prepared(prompts, existing, *, now: datetime) -> list[_Send]:
    sends: list[_Send] = []
    lease = _lease(now)
    for prompt in prompts:
        if prompt.status != PS.CLAIMED:
            continue  # skipped above
        queued = [d for d in existing[prompt.pk].values() if d.status == DS.QUEUED]
        if queued:
            # Extend the lease: it now runs from the start of the work, not from the claim.
            prompt.claimed_until = prompt.due_at = lease
            prompt.attempts += 1
            sends += [_Send(d.pk, d.channel, d.attempts + 1, prompt) for d in queued]
        else:
            _apply_outcome(prompt, list(existing[prompt.pk].values()), now=now)
    return sends


def _send_all(
    sends: list[_Send], token: uuid.UUID, *, now: datetime, breakers: Breakers | None = None
) -> list[_Result]:
    """Phase 2: call the providers, outside any transaction, in sub-batches of
    DISPATCH_ATTEMPT_BATCH messages.

    One commit stores the previous sub-batch's results and marks the next one ``attempting``
    (only while its prompts are still ours and their plans current, so a pause or a plan edit
    takes effect at the next sub-batch); then its messages go to the provider (``attempt_all``:
    one at a time, or its neutral emails in one ESP batch call), each keeping its own outcome.
    A crash leaves at most one sub-batch ``attempting``, which the reaper turns into
    ``unconfirmed``. A channel paused before or during the batch is not called again: its
    remaining messages are deferred to when the pause ends."""
    breakers = breakers or Breakers.load(now=now)
    size = max(1, settings.DISPATCH_ATTEMPT_BATCH)
    channels: dict[str, Channel] = {}
    results: list[_Result] = []
    unstored: list[_Result] = []
    deferred: dict[datetime, list[int]] = defaultdict(list)
    try:
        for start in range(0, len(sends), size):
            chunk = []
            for send in sends[start : start + size]:
                until = breakers.paused_until(send.channel)
                if until is None:
                    chunk.append(send)
                else:
                    deferred[until].append(send.delivery_id)
                    results.append(_Result(send, "deferred"))
            marked = _mark_attempting_many(chunk, token, now=now, store=unstored)
            unstored = []
            results += [_Result(send, "lost") for send in chunk if send.delivery_id not in marked]
            mine = [send for send in chunk if send.delivery_id in marked]
            for result in attempt_all(mine, channels, breakers, now=now):
                unstored.append(result)
                results.append(result)
        _store_results(unstored, now=now)
        unstored = []
    finally:
        try:
            if unstored:  # an error or a time limit between two commits: keep what we know
                _store_results(unstored, now=now)
        finally:
            for channel in channels.values():
                channel.close()
    for until, ids in deferred.items():
        Delivery.objects.filter(pk__in=ids, status=DS.QUEUED).update(
            status=DS.RETRY, last_error=PAUSED, next_attempt_at=until
        )
    return results


def attempt_all(
    sends: list[_Send], channels: dict, breakers: Breakers, *, now: datetime
) -> Iterator[_Result]:
    """A marked sub-batch to its providers, each result as soon as it is known. When the email
    backend batch-sends (an ESP that reports a status per recipient, ``channels/email.py``)
    and two or more of the emails are neutral ones, those go in one ESP call; every other
    message (full text, SMS, push, any email on SMTP) goes one at a time (``_attempt``)."""
    batch = _batchable(sends, channels)
    if len(batch) > 1:
        yield from _attempt_batch(batch, channels["email"], breakers, now=now)
    batched = {send.delivery_id for send, _message in batch} if len(batch) > 1 else set()
    for send in sends:
        if send.delivery_id not in batched:
            yield _attempt(send, channels, breakers, now=now)


def _batchable(sends: list[_Send], channels: dict) -> list[tuple[_Send, OutboundMessage]]:
    """The neutral emails of ``sends`` with their messages, when the email channel batches
    (else none, and no message is built twice)."""
    emails = [s for s in sends if s.channel == "email" and not s.prompt.client.full_text_opt_in]
    if len(emails) < 2:
        return []
    if "email" not in channels:
        channels["email"] = get_channel("email")  # connects at its first send, not here
    channel = channels["email"]
    if getattr(channel, "esp", None) is None:  # SMTP, console, dummy, or batching off
        return []
    pairs = [(send, build_message(send)) for send in emails]
    return [(send, message) for send, message in pairs if channel.batchable(message)]


def _attempt_batch(
    pairs: list[tuple[_Send, OutboundMessage]], channel, breakers: Breakers, *, now: datetime
) -> Iterator[_Result]:
    """The neutral emails of a sub-batch in one ESP batch send; each recipient's status is its
    message's result, and the circuit breaker and provider tracking see each one as if it had
    been sent alone. An error from the call as a whole leaves them all unconfirmed: the ESP
    may have sent some, so none is sent again."""
    until = breakers.paused_until("email")
    if until is not None:
        for send, _message in pairs:
            yield _Result(send, "deferred", retry_at=until)
        return
    try:
        outcomes = channel.send_batch([message for _send, message in pairs])
    except Exception as exc:  # the channel answers per message; this is not classified
        logger.error("dispatch.batch_error error=%s messages=%s", type(exc).__name__, len(pairs))
        outcomes = [UnconfirmedChannelError(f"batch:{type(exc).__name__}")] * len(pairs)
    for (send, _message), outcome in zip(pairs, outcomes, strict=True):
        result = _outcome(send, outcome)
        _track_provider(result, breakers, now=now)
        yield result


def _attempt(send: _Send, channels: dict, breakers: Breakers, *, now: datetime) -> _Result:
    """One message of a marked sub-batch to its provider (not when its channel was paused by
    an earlier message of the sub-batch: then it waits, and its attempt is given back)."""
    until = breakers.paused_until(send.channel)
    if until is not None:
        return _Result(send, "deferred", retry_at=until)
    if send.channel not in channels:
        # Opened lazily by the first send, so a failure to connect is that message's
        # (transient) result rather than an exception that strands it "attempting".
        channels[send.channel] = get_channel(send.channel)
    result = _call(channels[send.channel], send)
    _track_provider(result, breakers, now=now)
    return result


def _track_provider(result: _Result, breakers: Breakers, *, now: datetime) -> None:
    """Tell the circuit breaker how the provider did. A transient failure that finds (or
    makes) the channel paused is the provider's fault, not the message's: it waits for the
    pause to end and its attempt is given back."""
    channel = result.send.channel
    if result.outcome == "retry":
        until = breakers.failure(channel, result.error, now=now)
        if until is not None:
            result.outcome, result.retry_at = "deferred", until
    elif result.outcome in ("sent", "permanent"):
        breakers.answer(channel, now=now)


def _mark_attempting(send: _Send, token: uuid.UUID, *, now: datetime) -> bool:
    """One delivery queued -> attempting (see _mark_attempting_many)."""
    return send.delivery_id in _mark_attempting_many([send], token, now=now)


def _mark_attempting_many(
    sends: list[_Send], token: uuid.UUID, *, now: datetime, store: list[_Result] | None = None
) -> set[int]:
    """Queued -> attempting, only while each prompt is still ours and its plan still current;
    the ids actually marked. ``store``: results of the previous sub-batch, stored in the same
    commit. Hand-written SQL (portable: ``EXISTS``, no ``UPDATE ... FROM``): building the
    same statement through the ORM cost several times the database's work."""
    if not sends:
        _store_results(store or [], now=now)
        return set()
    d, p, b = Delivery._meta, Prompt._meta, Break._meta
    live = ", ".join(["%s"] * len(Break.LIVE_STATUSES))
    ids = ", ".join(["%s"] * len(sends))
    # The rows are found by primary key. The status tests are written `status || ''` so the
    # planner cannot pick the status indexes instead: during a peak their statistics lag far
    # behind (measured: 100,000 "claimed" rows estimated at one, 10 s per 500-prompt batch).
    # The Message-ID is message_id_for's, built by the database from the row's own ids.
    # Only table and column names from the models are formatted in; values are parameters.
    prompt_col = d.get_field("prompt").column
    sql = (
        f"UPDATE {d.db_table} SET status = %s, attempts = attempts + 1, attempted_at = %s, "  # noqa: S608
        f"message_id = '<delivery-' || id || '.prompt-' || {prompt_col} || '@' || %s || '>' "
        f"WHERE id IN ({ids}) AND status || '' = %s AND EXISTS (SELECT 1 FROM "
        f"{p.db_table} p INNER JOIN {b.db_table} b ON b.id = p.{p.get_field('break_obj').column} "
        f"WHERE p.id = {d.db_table}.{prompt_col} "
        f"AND p.status || '' = %s AND p.claim_token = %s AND p.plan_version = b.plan_version "
        f"AND b.status || '' IN ({live}) AND b.paused_at IS NULL) RETURNING id"
    )
    params = [
        DS.ATTEMPTING,
        _db_value(Delivery, "attempted_at", now),
        _message_domain(),
        *[send.delivery_id for send in sends],
        DS.QUEUED,
        PS.CLAIMED,
        _db_value(Prompt, "claim_token", token),
        *Break.LIVE_STATUSES,
    ]
    with transaction.atomic():
        _store_results(store or [], now=now)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return {row[0] for row in cursor.fetchall()}


def _db_value(model, field: str, value):
    return model._meta.get_field(field).get_db_prep_value(value, connection, prepared=False)


def _store_results(results: list[_Result], *, now: datetime) -> None:
    """Store a sub-batch's results with one statement (PostgreSQL; one statement per row in
    the same transaction elsewhere)."""
    if not results:
        return
    table = Delivery._meta.db_table
    if connection.vendor == "postgresql":
        pg_execute(STORE_RESULTS, result_columns(results, now=now))
        return
    rows = [_result_row(result, now=now) for result in results]
    for result in results:
        _log_result(result)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET status = %s, last_error = %s, next_attempt_at = %s, "  # noqa: S608
            "provider_id = COALESCE(%s, provider_id), sent_at = COALESCE(%s, sent_at), "
            "attempts = attempts + %s WHERE id = %s",
            [(*row[1:], row[0]) for row in rows],
        )


# Stores a sub-batch's results on PostgreSQL, with the parameters of ``result_columns``.
# `d.id = ANY(...)` too: without it PostgreSQL joins the unnest to a scan of the table.
STORE_RESULTS = f"""
UPDATE {Delivery._meta.db_table} AS d SET status = v.status, last_error = v.last_error,
    next_attempt_at = v.next_at, provider_id = COALESCE(v.provider_id, d.provider_id),
    sent_at = COALESCE(v.sent_at, d.sent_at), attempts = d.attempts + v.delta
FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::timestamptz[], %s::text[],
            %s::timestamptz[], %s::int[])
     AS v(id, status, last_error, next_at, provider_id, sent_at, delta)
WHERE d.id = v.id AND d.id = ANY(%s::bigint[])
"""  # noqa: S608 - the table name from the model; values are parameters


def result_columns(results: list[_Result], *, now: datetime) -> list[list]:
    """The parameters of STORE_RESULTS for ``results`` (which are logged): one array per
    column of ``_result_row``, then the ids again. Empty arrays when there are none."""
    rows = [_result_row(result, now=now) for result in results]
    for result in results:
        _log_result(result)
    columns = [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * 7
    return [*columns, columns[0]]


def pg_execute(sql: str, params: Sequence[Any]) -> list[tuple]:
    """Run one of the delivery's hot statements on PostgreSQL, in the current transaction:
    parameters bound by the server (arrays go as binary arrays, not as literals quoted by
    Django's client-side cursor) and the statement prepared once per connection (planning it
    cost more than running it; ``DB_PREPARED_STATEMENTS``). The rows it returns, if any.
    Errors come out as Django's (OperationalError and the like), as from any cursor: the
    deliver_batch task retries on those."""
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def _result_row(result: _Result, *, now: datetime) -> tuple:
    """(id, status, last_error, next attempt, provider id or None, sent at or None, change of
    attempts) for one result. A retry that has no attempt left becomes ``failed`` (or
    ``permanent``) here. Computed once per result (stored, then read again by phase 3)."""
    if result.row is None:
        result.row = _new_result_row(result, now=now)
    return result.row


@lru_cache(maxsize=8)
def _db_time(value: datetime | None, vendor: str) -> Any:
    """A delivery time as ``vendor``'s database takes it: a batch's ``now``, the same for
    every result, is converted once, not once a result."""
    return _db_value(Delivery, "sent_at", value)


def _new_result_row(result: _Result, *, now: datetime) -> tuple:
    send = result.send
    when = partial(_db_time, vendor=connection.vendor)
    outcome = result.outcome
    if outcome == "sent":
        return (send.delivery_id, DS.SENT, "", None, result.provider_id, when(now), 0)
    if outcome == "deferred":  # the attempt it made is given back (see _track_provider)
        return (send.delivery_id, DS.RETRY, PAUSED, when(result.retry_at), None, None, -1)
    if outcome == "unconfirmed":
        # Handed over, no answer: it may have arrived, so it is never sent again.
        return (send.delivery_id, DS.UNCONFIRMED, result.error, None, None, None, 0)
    if outcome == "retry" and send.attempts < settings.DISPATCH_MAX_ATTEMPTS:
        delay = settings.DISPATCH_RETRY_BASE_SECONDS * 2 ** (send.attempts - 1)
        retry_at = when(now + timedelta(seconds=delay))
        return (send.delivery_id, DS.RETRY, result.error, retry_at, None, None, 0)
    result.outcome = "permanent" if outcome == "permanent" else "failed"
    return (send.delivery_id, DS.FAILED, result.error, None, None, None, 0)


def _log_result(result: _Result) -> None:
    send = result.send
    event = "failed" if result.outcome == "permanent" else result.outcome
    level = logging.WARNING if event in ("unconfirmed", "failed") else logging.INFO
    logger.log(level, "dispatch.%s prompt=%s channel=%s", event, send.prompt.pk, send.channel)


def _message_domain() -> str:
    return _domain_of(settings.SITE_URL)


@lru_cache(maxsize=8)
def _domain_of(site_url: str) -> str:  # parsed once per site, not once per message
    return urlparse(site_url).hostname or "between.invalid"


def message_id_for(send: _Send) -> str:
    """Stable per delivery: a retry of the same delivery carries the same Message-ID."""
    return f"<delivery-{send.delivery_id}.prompt-{send.prompt.pk}@{_message_domain()}>"


def build_message(send: _Send) -> OutboundMessage:
    prompt = send.prompt
    client = prompt.client
    unsubscribe = ""
    if send.channel == "email":
        unsubscribe = links.make_url(
            "unsubscribe", "/l/unsubscribe/", user_id=client.user_id, object_id=client.pk
        )
    return OutboundMessage(
        client=client,
        prompt_id=prompt.pk,
        delivery_id=send.delivery_id,
        category=prompt.category,
        # A letter to self: its words live only in the Letter row (the prompt holds a line).
        full_text=prompt.letter.text if prompt.letter_id and prompt.letter else prompt.text,
        neutral_text=NEUTRAL_TEXT,
        link=links.make_url("inbox", "/l/inbox/", user_id=client.user_id),
        message_id=message_id_for(send),
        unsubscribe_link=unsubscribe,
        break_id=prompt.break_obj_id,
    )


def _call(channel, send: _Send) -> _Result:
    try:
        provider_id = channel.send(build_message(send))
    except (PermanentChannelError, UnconfirmedChannelError, TransientChannelError) as exc:
        return _outcome(send, exc)
    except Exception as exc:  # an unknown error is treated as transient
        # The type only: a traceback could carry an address or the text.
        error = type(exc).__name__
        logger.error("dispatch.channel_error prompt=%s error=%s", send.prompt.pk, error)
        return _Result(send, "retry", error=f"transient:{type(exc).__name__}")
    return _Result(send, "sent", provider_id=provider_id)


def _outcome(send: _Send, outcome: str | ChannelError) -> _Result:
    """A channel's answer for one message (its provider id, or a classified error)."""
    if isinstance(outcome, str):
        return _Result(send, "sent", provider_id=outcome)
    if isinstance(outcome, PermanentChannelError):
        return _Result(send, "permanent", error=f"permanent:{outcome.code}")
    if isinstance(outcome, UnconfirmedChannelError):
        return _Result(send, "unconfirmed", error=f"unconfirmed:{outcome.code}")
    return _Result(send, "retry", error=f"transient:{outcome.code}")


def _finish(results: list[_Result], token: uuid.UUID, *, now: datetime, summary) -> None:
    """Phase 3: the prompts' final states (one bulk update); permanent errors switch off."""
    prompt_ids = {r.send.prompt.pk for r in results}
    with transaction.atomic():
        mine = Prompt.objects.filter(id__in=prompt_ids, status=PS.CLAIMED, claim_token=token)
        prompts = list(_locking(mine.select_related("break_obj", "client")))
        existing = _deliveries_by_prompt([p.pk for p in prompts])
        stale: list[Delivery] = []
        for prompt in prompts:
            dels = list(existing[prompt.pk].values())
            for d in dels:
                if d.status == DS.QUEUED:  # not attempted: the break changed under us
                    d.status = DS.SKIPPED
                    d.last_error = skip_reason(prompt, now=now) or "not-attempted"
                    stale.append(d)
            _apply_outcome(prompt, dels, now=now)
        _save_fields(Delivery, stale, ["status", "last_error"])
        fields = ["status", "skip_reason", "finished_at", "sent_at", "claim_token"]
        fields += ["claimed_until", "due_at", "last_error"]
        _save_fields(Prompt, prompts, fields)
        permanent = [r for r in results if r.outcome == "permanent"]
        if permanent:
            items = [(r.send.prompt, r.send.channel) for r in permanent]
            _switch_off_after_permanent_error(items)
    for prompt in prompts:
        if prompt.status in Prompt.TERMINAL_STATUSES:
            summary.counts[prompt.status] = summary.counts.get(prompt.status, 0) + 1
            _log_done(prompt)


def _switch_off_after_permanent_error(items: list[tuple[ScheduledPrompt, str]]) -> None:
    """A provider said the address can never work: switch the channel off, record it, and
    (after commit) tell the therapist. Call inside the transaction that stores the failure."""
    seen: set[tuple[int, str]] = set()
    for prompt, channel in items:
        key = (prompt.client_id, channel)
        if key in seen:
            continue
        seen.add(key)
        channel_consent_set(
            client=prompt.client, channel=channel, granted=False, source="provider-permanent-error"
        )
        enqueue.on_commit(
            enqueue.NOTIFY_CHANNEL_OFF, prompt.client_id, prompt.break_obj_id, channel
        )


def _apply_outcome(prompt: ScheduledPrompt, dels: list[Delivery], *, now: datetime) -> None:
    """Set the prompt's state from its deliveries (all terminal, or some waiting to retry)."""
    if any(d.status in (DS.QUEUED, DS.ATTEMPTING) for d in dels):
        return  # another process is still on it; its own phase 3 settles the prompt
    retries = [d.next_attempt_at for d in dels if d.status == DS.RETRY and d.next_attempt_at]
    if retries:
        prompt.status, prompt.due_at = PS.PENDING, min(retries)
        prompt.claim_token = prompt.claimed_until = None
        prompt.last_error = "retrying"
        return
    if any(d.status == DS.UNCONFIRMED for d in dels):
        _mark_done(prompt, PS.UNCONFIRMED, now=now)
        prompt.last_error = ""  # no "retrying" left behind: the delivery row says why
    elif any(d.status == DS.FAILED and d.last_error.startswith("transient:") for d in dels):
        _mark_done(prompt, PS.FAILED, now=now)
        prompt.last_error = "retries-exhausted"
    else:
        _mark_done(prompt, PS.SENT, now=now)
        prompt.sent_at = prompt.sent_at or now
        prompt.last_error = ""


def _mark_done(prompt: ScheduledPrompt, status: str, *, now: datetime, reason: str = "") -> None:
    prompt.status = status
    prompt.skip_reason = reason
    prompt.finished_at = now
    prompt.claim_token = None
    prompt.claimed_until = None


def _log_done(prompt: ScheduledPrompt) -> None:
    if prompt.status == PS.SKIPPED:
        logger.info("dispatch.skipped prompt=%s reason=%s", prompt.pk, prompt.skip_reason)
    elif prompt.status != PS.SENT:
        logger.info("dispatch.%s prompt=%s", prompt.status, prompt.pk)
