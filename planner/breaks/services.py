"""Every write Between makes to clients and breaks, one transaction each.

The HTML pages and the API call these functions and nothing else to change state. Bad input
raises ``django.core.exceptions.ValidationError`` with a dict of field messages, which the
API turns into a 400 and the forms into errors next to the fields.
"""

from __future__ import annotations

import copy
import logging
import random
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.timezone import now as current_time
from django.utils.translation import gettext as _

from core.models import User
from planner import audit
from planner.breaks import selectors
from planner.breaks.preview import (
    covering_name,
    message_context,
    plan_settings,
    practice_name,
    render_planned,
)
from planner.breaks.prompts import library_for
from planner.breaks.selectors import previous_plan_for
from planner.breaks.validation import (
    CARRIED_OVER_FIELDS,
    check_datetime,
    check_prompt_times,
    check_quiet_hours,
    clean_break_fields,
    clean_client_fields,
    dates_problem,
    invalid,
    parse_hhmm,
)
from planner.ending.blueprint import BLUEPRINT_FIELDS
from planner.letters.note import notes_sent, put_note_first
from planner.models import Break, Client, ConsentRecord, PromptTemplate, ScheduledPrompt
from planner.privacy import consent
from planner.schedule.engine import (
    DEFAULT_VALIDITY,
    VALIDITY,
    PlanCache,
    eligible_templates,
    personal_context,
    validate_settings,
)
from planner.schedule.localtime import in_quiet_hours
from planner.schedule.text import ENGINE_PLACEHOLDERS, render, template_placeholders
from planner.schedule.types import Category, Delivered, ScheduleError
from planner.supportmap.selectors import Learned, crisis_line, learned_for

logger = logging.getLogger(__name__)

# --- Clients ------------------------------------------------------------------------------


@transaction.atomic
def client_create(*, therapist: User, actor: User | None = None, **data: Any) -> Client:
    """A new client of ``therapist``; times and quiet hours not given come from the practice.

    There is no default country: the page and the API require one, and a client created
    without one (by code) is shown no country's crisis lines, only "your local emergency
    number", until their country is set and they confirm it.
    """
    if not therapist.is_therapist:
        raise invalid("therapist", _("Only a therapist can have clients."))
    cleaned = clean_client_fields(data)
    if not str(cleaned.get("first_name") or "").strip():
        raise invalid("first_name", _("A first name is needed."))
    _check_email_free(therapist, cleaned.get("email"), client=None)
    client = Client(therapist=therapist, **cleaned)
    _apply_practice_defaults(client, therapist, given=set(cleaned))
    client.full_clean(exclude=["therapist", "user", "prompt_times", "channels"])
    client.save()
    _record_channel_consents(client, set(), set(client.channels), actor or therapist, "therapist")
    audit.record(actor or therapist, "client.created", client=client)
    return client


def _apply_practice_defaults(client: Client, therapist: User, *, given: set[str]) -> None:
    practice = therapist.practice
    if practice is None:
        return
    if "prompt_times" not in given and practice.default_prompt_times:
        client.prompt_times = list(practice.default_prompt_times)
    quiet = {"quiet_hours_start", "quiet_hours_end"}
    if not quiet & given and practice.default_quiet_hours_start is not None:
        client.quiet_hours_start = practice.default_quiet_hours_start
        client.quiet_hours_end = practice.default_quiet_hours_end


def _check_email_free(therapist: User, email: Any, *, client: Client | None) -> None:
    """No two clients of one practice (or of a therapist without one) share an address."""
    if not email:
        return
    same = Client.objects.filter(email__iexact=str(email).strip(), deleted_at__isnull=True)
    if therapist.practice_id is not None:
        same = same.filter(therapist__practice_id=therapist.practice_id)
    else:
        same = same.filter(therapist=therapist)
    if client is not None:
        same = same.exclude(pk=client.pk)
    if same.exists():
        raise invalid("email", _("Another client of this practice already has this email address."))


@transaction.atomic
def client_update(*, client: Client, actor: User, source: str = "web", **data: Any) -> Client:
    """Change what ``data`` names and nothing else.

    The row is locked and read again into ``client`` first, so a change made since it was
    loaded (a STOP from the SMS webhook, an unsubscribe) is neither undone nor compared
    against stale values; fields given with the values they already have are no change, and
    a call that changes nothing writes nothing (no row, no consent record, no audit event)."""
    client.refresh_from_db(from_queryset=Client.objects.select_for_update(no_key=True))
    cleaned = clean_client_fields(data, country=client.country)
    if "channels" in cleaned:
        # Push follows the client's devices (planner/phone/services.py), never a list.
        on = "push" in client.channels
        cleaned["channels"] = [c for c in cleaned["channels"] if c != "push" or on]
        cleaned["channels"] += ["push"] if on and "push" not in cleaned["channels"] else []
    if "quiet_hours_start" in cleaned or "quiet_hours_end" in cleaned:
        check_quiet_hours(
            cleaned.get("quiet_hours_start", client.quiet_hours_start),
            cleaned.get("quiet_hours_end", client.quiet_hours_end),
        )
    if "email" in cleaned:
        _check_email_free(client.therapist, cleaned["email"], client=client)
    _check_preferences_leave_room(client, cleaned)
    changed = {key: value for key, value in cleaned.items() if getattr(client, key) != value}
    # The client's own saving of their country confirms it, changed or not.
    confirms_country = (
        "country" in cleaned and client.user_id is not None and (client.user_id == actor.pk)
    )
    if not changed and not confirms_country:
        return client
    before = set(client.channels)
    full_text_before = client.full_text_opt_in
    country_before = client.country
    for key, value in changed.items():
        setattr(client, key, value)
    fields = list(changed)
    if "country" in cleaned:
        # The client's own choice confirms their country; a change by anyone else waits for
        # the client to confirm it again.
        if confirms_country:
            client.country_confirmed_at = current_time()
            fields.append("country_confirmed_at")
        elif client.country != country_before:
            client.country_confirmed_at = None
            fields.append("country_confirmed_at")
    client.full_clean(exclude=["therapist", "user", "prompt_times", "channels"])
    client.save(update_fields=fields)
    if "channels" in changed:
        _record_channel_consents(client, before, set(client.channels), actor, source)
    if "full_text_opt_in" in changed and bool(changed["full_text_opt_in"]) != full_text_before:
        consent.consent_record(
            client=client,
            subject=ConsentRecord.Subject.FULL_TEXT,
            granted=bool(client.full_text_opt_in),
            source=source,
            actor=actor,
        )
    audit.record(actor, "client.updated", client=client, detail={"fields": sorted(fields)})
    schedule_fields = {
        "timezone",
        "quiet_hours_start",
        "quiet_hours_end",
        "prompt_times",
        "prompt_amount",
    }
    if schedule_fields & set(changed):
        _follow_client_preferences(client, {k: changed[k] for k in schedule_fields & set(changed)})
    return client


@transaction.atomic
def client_archive(*, client: Client, actor: User, at: datetime | None = None) -> Client:
    """Therapy has ended: the client leaves the dashboard and caseload absences.

    Everything is kept and ``client_restore`` brings them back. A running ending keeps
    sending its follow-ups (that is what an ending is for); any other plan still in
    progress, a draft included, has to be finished or cancelled first, so that nothing is
    sent to or planned for a client nobody sees on their dashboard.
    """
    if client.archived_at is not None:
        return client
    in_progress = client.breaks.filter(
        status__in=[Break.Status.DRAFT, *Break.LIVE_STATUSES]
    ).exclude(kind=Break.Kind.ENDING, status__in=Break.LIVE_STATUSES)
    if in_progress.exists():
        raise invalid(
            "status",
            _(
                "This client has a plan in progress (a draft or a running break). Cancel it, "
                "or wait until it has finished, before archiving."
            ),
        )
    client.archived_at = at or current_time()
    client.save(update_fields=["archived_at"])
    audit.record(actor, "client.archived", client=client)
    return client


@transaction.atomic
def client_restore(*, client: Client, actor: User) -> Client:
    if client.archived_at is None:
        return client
    client.archived_at = None
    client.save(update_fields=["archived_at"])
    audit.record(actor, "client.restored", client=client)
    return client


def _record_channel_consents(
    client: Client, before: set[str], after: set[str], actor: User | None, source: str
) -> None:
    records = [
        ConsentRecord(
            client=client,
            subject=channel,
            granted=channel in after,
            source=source,
            recorded_by=actor,
        )
        for channel in ("email", "sms")
        if (channel in before) != (channel in after)
    ]
    ConsentRecord.objects.bulk_create(records)


def _follow_client_preferences(client: Client, changes: dict[str, Any]) -> None:
    """A client's new times and quiet hours apply to their upcoming and live breaks."""
    for brk in client.breaks.filter(status__in=[Break.Status.DRAFT, *Break.LIVE_STATUSES]):
        for key, value in changes.items():
            setattr(brk, key, value)
        validate_break(brk)  # e.g. new quiet hours that cover the break's own prompt times
        brk.save(update_fields=list(changes))
        if brk.is_live:
            reschedule(brk)


@transaction.atomic
def client_pause(*, client: Client, until: datetime | None, actor: User) -> Client:
    """Pause every prompt until ``until`` (None resumes)."""
    until = check_datetime(until, "paused_until")
    if until is not None and until <= current_time():
        raise invalid("paused_until", _("Choose a moment in the future."))
    client.paused_until = until
    client.save(update_fields=["paused_until"])
    audit.record(actor, "client.paused" if until else "client.resumed", client=client)
    return client


@transaction.atomic
def client_delete(*, client: Client, actor: User, at: datetime | None = None) -> Client:
    """Soft-delete a client: hidden everywhere, and no further prompt of theirs is sent.

    Their live and draft breaks are cancelled. Erasing the data itself is the privacy
    flow's job; this only stops everything and hides the record.
    """
    at = at or current_time()
    if client.deleted_at is not None:
        return client
    for brk in client.breaks.filter(status__in=[Break.Status.DRAFT, *Break.LIVE_STATUSES]):
        break_cancel(brk=brk, actor=actor, at=at)
    client.deleted_at = at
    client.save(update_fields=["deleted_at"])
    audit.record(actor, "client.deleted", client=client)
    return client


def client_read(*, user: User, client_id: object) -> Client:
    """Open a client's record for their therapist (404 otherwise), the read in the audit trail."""
    client = selectors.access_client(user, client_id)
    audit.record_read(user, "client", client, client)
    return client


@transaction.atomic
def client_set_login(*, client: Client, user: User, actor: User | None) -> Client:
    """Give a client record its login (a user with the client role), once."""
    if user.role != User.Role.CLIENT:
        raise invalid("user", _("Only a client login can belong to a client."))
    if client.user_id == user.pk:
        return client
    if client.user_id is not None or Client.objects.filter(user=user).exists():
        raise invalid("user", _("This client already has a login, or the login a client."))
    client.user = user
    client.save(update_fields=["user"])
    audit.record(actor, "client.login_set", client=client)
    return client


# --- Breaks -------------------------------------------------------------------------------


def break_read(*, user: User, break_id: object) -> tuple[Break, str]:
    """Open a break for reading, and as whom ("therapist", "covering", "declarer" or
    "client"); every read but a client's of their own goes in the audit trail."""
    brk, role = selectors.access_break_for_reading(user, break_id)
    if role in ("therapist", "covering", "declarer"):
        audit.record_read(user, "break", brk, brk.client_id)
    return brk, role


MAX_BREAK_SPAN = timedelta(days=400)


def validate_break(brk: Break) -> None:
    """Check a break's settings with the schedule engine; field errors, never a 500."""
    problem = dates_problem(brk)  # a stored draft from before the date rule
    if problem is not None:
        raise invalid(*problem)
    for name in ("ends_at", "return_session_at"):
        other = getattr(brk, name)
        if (
            brk.starts_at is not None
            and other is not None
            and other - brk.starts_at > (MAX_BREAK_SPAN)
        ):
            message = _("A break can last at most %(days)s days.") % {"days": MAX_BREAK_SPAN.days}
            raise invalid(name, message)
    check_quiet_hours(brk.quiet_hours_start, brk.quiet_hours_end)
    open_kinds = (Break.Kind.ENDING, Break.Kind.UNPLANNED)
    if brk.kind not in open_kinds and brk.ends_at is None:
        raise invalid(
            "ends_at",
            _("A break needs an end date (an ending or an unplanned absence may leave it open)."),
        )
    _check_kind_fields(brk)
    try:
        validate_settings(plan_settings(brk, learned=Learned()))  # the map is not checked here
    except ScheduleError as error:
        raise invalid(error.field, error.message)


def _check_kind_fields(brk: Break) -> None:
    """What each kind needs to say only true things: booked sessions for an unplanned
    absence, booster sessions only for an ending and after its last session."""
    if brk.kind == Break.Kind.UNPLANNED:
        if not brk.sessions_plan:
            raise invalid(
                "sessions_plan",
                _("Say what happens to the client's booked sessions; their first message says it."),
            )
        covering = brk.sessions_plan in (
            Break.SessionsPlan.CANCELLED_COVERING,
            Break.SessionsPlan.WITH_COVERING,
        )
        if covering and not covering_name(brk):
            raise invalid("sessions_plan", _("Name the covering clinician first."))
        if brk.sessions_plan == Break.SessionsPlan.CANCELLED_PRACTICE and not practice_name(brk):
            raise invalid("sessions_plan", _("Your account has no practice to name."))
    if brk.booster_sessions:
        last = brk.last_session_at
        if last is None:
            raise invalid("booster_sessions", _("Only an ending has booster sessions."))
        if any(b <= last for b in brk.booster_datetimes):
            raise invalid("booster_sessions", _("A booster session comes after the last session."))
    if brk.kind != Break.Kind.ENDING:
        for name in BLUEPRINT_FIELDS:
            if getattr(brk, name):
                raise invalid(name, _("Only an ending has a relapse-prevention blueprint."))
    if brk.notice_given_at is not None and brk.notice_given_at > brk.starts_at:
        raise invalid("notice_given_at", _("The client is told before the break starts."))


def _settle_open_ends(brk: Break) -> None:
    """An unplanned absence with a booked return ends when the return session starts."""
    if brk.kind == Break.Kind.UNPLANNED and brk.ends_at is None and brk.return_session_at:
        brk.ends_at = brk.return_session_at


def _consent_dates(brk: Break, cleaned: dict[str, Any], at: datetime) -> None:
    """Escalation set in the plan builder is the client's consent, recorded as of now."""
    if "escalation_enabled" not in cleaned:
        return
    if brk.escalation_enabled and brk.escalation_consent_at is None:
        brk.escalation_consent_at = cleaned.get("escalation_consent_at") or at
    if not brk.escalation_enabled:
        brk.escalation_consent_at = None


def _news(before: tuple[datetime | None, datetime | None], brk: Break) -> str:
    """What an edit tells the client of a started unplanned absence: a return booked (or
    moved earlier), a longer absence, or nothing."""
    old_return, old_end = before
    new_return, new_end = brk.return_session_at, brk.ends_at
    if (old_return, old_end) == (new_return, new_end):
        return ""
    if new_return is not None and (old_return is None or new_return < old_return):
        return Category.RETURN_BOOKED.value
    old_anchor, new_anchor = old_return or old_end, new_return or new_end
    if old_anchor is not None and (new_anchor is None or new_anchor > old_anchor):
        return Category.STILL_AWAY.value
    return ""


def _apply_client_defaults(brk: Break, client: Client) -> None:
    brk.timezone = brk.timezone or client.timezone
    if brk.quiet_hours_start is None and brk.quiet_hours_end is None:
        brk.quiet_hours_start = client.quiet_hours_start
        brk.quiet_hours_end = client.quiet_hours_end
    if not brk.prompt_times:
        brk.prompt_times = list(client.prompt_times)


def _check_owner(therapist: User, client: Client) -> None:
    if client.therapist_id != therapist.pk or client.deleted_at is not None:
        raise invalid("client", _("Unknown client."))


@transaction.atomic
def break_create(
    *, therapist: User, client: Client, actor: User | None = None, **data: Any
) -> Break:
    """A draft break for one of the therapist's clients, starting from their last plan."""
    _check_owner(therapist, client)
    if client.archived_at is not None:
        raise invalid("client", _("This client is archived; restore them to plan a break."))
    cleaned = clean_break_fields(data)
    for required in ("kind", "starts_at"):
        if cleaned.get(required) is None:
            raise invalid(required, _("This field is required."))
    brk = Break(
        client=client,
        therapist=therapist,
        created_by=actor or therapist,
        prompt_times=[],
        prompt_amount=client.prompt_amount,  # the client's choice, unless the plan says
        seed=random.randrange(1, 2**31),
    )
    _start_from_previous_plan(brk, client, explicit=set(cleaned))
    for key, value in cleaned.items():
        setattr(brk, key, value)
    _apply_client_defaults(brk, client)
    _settle_open_ends(brk)
    _consent_dates(brk, cleaned, current_time())
    validate_break(brk)
    brk.save()
    consent.record_break_consents(brk, before=None, actor=actor or therapist)
    audit.record(actor or therapist, "break.created", client=client, obj=brk)
    return brk


def _start_from_previous_plan(brk: Break, client: Client, explicit: set[str]) -> None:
    """A new plan starts from the last finished one (the review is shown beside it)."""
    previous = previous_plan_for(client)
    if previous is None:
        return
    for key in (*CARRIED_OVER_FIELDS, "distress_threshold"):
        if key not in explicit:
            setattr(brk, key, previous[key])
    if "covering_user" not in explicit:
        brk.covering_user_id = previous["covering_user_id"]


def _field_values(brk: Break) -> dict[str, Any]:
    """The break's stored columns as values (copies: a JSON list edited in place still
    compares as changed)."""
    return {
        field.attname: copy.deepcopy(getattr(brk, field.attname))
        for field in Break._meta.concrete_fields
        if not field.primary_key
    }


def _locked_breaks() -> QuerySet[Break]:
    # No key update: rows that refer to the break (its prompts, inbox messages) can still be
    # written by others while we hold it, so a lock here never closes a cycle with them.
    return Break.objects.select_for_update(of=("self",), no_key=True).select_related(
        "client", "therapist", "therapist__practice", "covering_user"
    )


def _lock(brk: Break) -> Break:
    """Lock the break's row until the transaction ends (PostgreSQL; SQLite serialises writers)
    and read it again into ``brk``. A service checks the state on this, never on what the
    caller loaded, which may predate a cancel, a pause or an erasure."""
    brk.refresh_from_db(from_queryset=_locked_breaks())
    return brk


def _check_changeable(brk: Break) -> None:
    if brk.status in (Break.Status.COMPLETED, Break.Status.CANCELLED):
        raise invalid("status", _("A %(status)s break cannot be changed.") % {"status": brk.status})
    if brk.client.deleted_at is not None:
        raise invalid("client", _("This client's record was deleted."))


@transaction.atomic
def break_update(*, brk: Break, actor: User, **data: Any) -> Break:
    """Edit a break; a scheduled or active break gets its unsent prompts planned again.

    Only the fields that change are written, on the row as stored now (locked): an edit that
    was in flight while the break was cancelled, or its client's data erased, is refused
    instead of writing the old state or the erased plan back."""
    cleaned = clean_break_fields(data)
    _lock(brk)
    _check_changeable(brk)
    if "kind" in cleaned and cleaned["kind"] != brk.kind and brk.status != Break.Status.DRAFT:
        raise invalid(
            "kind", _("The kind of a scheduled break cannot change; cancel it and plan a new one.")
        )
    changed = {key: value for key, value in cleaned.items() if getattr(brk, key) != value}
    if not changed:
        return brk
    consent_before = consent.break_consent_state(brk)
    ends_before = (brk.return_session_at, brk.ends_at)
    at = current_time()
    stored = _field_values(brk)
    for key, value in changed.items():
        setattr(brk, key, value)
    moved = "return_session_at" in cleaned and "ends_at" not in cleaned
    if moved and brk.return_session_at and brk.kind == Break.Kind.UNPLANNED:
        brk.ends_at = brk.return_session_at  # the absence ends with the booked return
    _settle_open_ends(brk)
    _consent_dates(brk, changed, at)
    validate_break(brk)
    if brk.kind == Break.Kind.UNPLANNED and brk.is_live and brk.starts_at <= at:
        news = _news(ends_before, brk)
        if news:
            brk.news, brk.news_at = news, at
    # What this edit changed, the fields it set in passing included (an open end settled,
    # a consent's date): only those are written.
    dirty = [name for name, value in _field_values(brk).items() if stored[name] != value]
    brk.save(update_fields=[*dirty, "updated_at"])
    consent.record_break_consents(brk, before=consent_before, actor=actor)
    if brk.is_live:
        reschedule(brk, at=at)
    audit.record(
        actor, "break.updated", client=brk.client, obj=brk, detail={"fields": sorted(changed)}
    )
    return brk


def reschedule(brk: Break, *, at: datetime | None = None) -> int:
    """Replace the unsent prompts of a live break, leaving sent ones alone.

    Unclaimed prompts are deleted and planned again; a prompt already claimed by a worker
    keeps its row but carries the old ``plan_version``, so the worker skips it as
    superseded rather than sending stale text.

    A letter the client wrote to themselves is not part of the plan: its prompt, once
    released, stays and carries the new version (the plan's edit changes nothing in it).
    """
    at = at or current_time()
    brk.plan_version += 1
    brk.save(update_fields=["plan_version"])
    unsent = brk.prompts.filter(
        status__in=[ScheduledPrompt.Status.PENDING, ScheduledPrompt.Status.CLAIMED]
    )
    unsent.filter(letter__isnull=False).update(plan_version=brk.plan_version)
    planned = brk.prompts.filter(status=ScheduledPrompt.Status.PENDING, letter__isnull=True)
    planned.filter(attempts=0).delete()
    planned.update(
        status=ScheduledPrompt.Status.SKIPPED,
        skip_reason=ScheduledPrompt.SkipReason.SUPERSEDED,
        finished_at=at,
    )
    return _store_prompts([brk], at=at)


def _store_prompts(breaks: Iterable[Break], *, at: datetime) -> int:
    """Plan each break's prompts (the engine, per client) and store them all with one library
    query and one bulk write: PostgreSQL's COPY, a multi-row INSERT elsewhere."""
    breaks = list(breaks)
    if not breaks:
        return 0
    library = library_for(breaks[0].therapist.practice)
    ids = dict(
        PromptTemplate.objects.filter(key__in=[s.id for s in library]).values_list("key", "id")
    )
    texts = {spec.id: spec.text for spec in library}
    delivered = _delivered(breaks)
    learned = learned_for(breaks)
    sent = notes_sent(breaks)
    shared = PlanCache(library)  # what the breaks' plans share, worked out once
    rows: list[tuple] = []
    for brk in breaks:
        context = message_context(brk)
        settings = plan_settings(
            brk, at=at, delivered=delivered.get(brk.pk, ()), learned=learned.get(brk.pk)
        )
        line = None
        mine: list[list[Any]] = []
        for planned in shared.plan(settings):
            text = render_planned(texts[planned.template_id], context, planned, brk)
            if planned.lean:
                # After a high check-in: the crisis line, and that Between is not one.
                line = crisis_line(brk.client) if line is None else line
                text = f"{text}\n\n{line}"
            mine.append(
                [
                    brk.pk,
                    brk.client_id,
                    ids.get(planned.template_id),
                    planned.category.value,
                    text,
                    planned.send_at,
                    planned.send_at,
                    planned.valid_until,
                    brk.plan_version,
                    "",
                ]
            )
        put_note_first(brk, mine, sent=sent)  # the therapist's note: the first caring message
        rows += [tuple(row) for row in mine]
    _write_prompts(rows, at=at)
    return len(rows)


# The columns _store_prompts fills; the rest are a new prompt's defaults (_PROMPT_DEFAULTS).
PROMPT_COLUMNS = (
    "break_obj_id",
    "client_id",
    "template_id",
    "category",
    "text",
    "send_at",
    "due_at",
    "valid_until",
    "plan_version",
    "source",  # "" for the plan's own; the therapist's note (planner.letters.note)
)
_PROMPT_DEFAULTS = {
    "status": ScheduledPrompt.Status.PENDING.value,
    "skip_reason": "",
    "attempts": 0,
    "last_error": "",
}


def _write_prompts(rows: list[tuple], *, at: datetime) -> None:
    """New pending prompts, in one statement. Building 30,000 model instances and letting
    the ORM prepare each value cost more than the database's work (docs/benchmarks.md)."""
    if not rows:
        return
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        fields = dict(zip(PROMPT_COLUMNS, range(len(PROMPT_COLUMNS)), strict=True))
        ScheduledPrompt.objects.bulk_create(
            ScheduledPrompt(
                **{name: row[i] for name, i in fields.items()},
                **_PROMPT_DEFAULTS,
                created_at=at,
            )
            for row in rows
        )
        return
    meta = ScheduledPrompt._meta
    names = [*PROMPT_COLUMNS, *_PROMPT_DEFAULTS, "created_at"]
    by_name = {f.attname: f for f in meta.concrete_fields}
    columns = ", ".join(connection.ops.quote_name(by_name[n].column) for n in names)
    # COPY's binary format: no value is formatted as text here nor parsed again by the
    # server, which halves the time of the text format for 9,600 prompts. It needs each
    # column's exact type, the model's ("varchar(32)" is a varchar, its length still checked).
    types = [str(by_name[n].db_type(connection)).split("(")[0] for n in names]
    extra = (*_PROMPT_DEFAULTS.values(), at)
    table = connection.ops.quote_name(meta.db_table)
    # Django's cursor passes copy() through to psycopg (its debug cursor logs it as a query).
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy,
    ):
        copy.set_types(types)
        for row in rows:
            copy.write_row((*row, *extra))


def _delivered(breaks: list[Break]) -> dict[int, tuple[Delivered, ...]]:
    """What each break sent already (or is sending), for its next plan: one query."""
    found: dict[int, list[Delivered]] = {}
    live = [b.pk for b in breaks if b.pk is not None and b.activated_at is not None]
    if not live:
        return {}
    rows = ScheduledPrompt.objects.filter(
        break_obj_id__in=live,
        status__in=[
            ScheduledPrompt.Status.SENT,
            ScheduledPrompt.Status.CLAIMED,
            ScheduledPrompt.Status.UNCONFIRMED,
        ],
    ).values_list("break_obj_id", "category", "template__key", "send_at")
    for break_id, category, key, send_at in rows:
        if category in Category._value2member_map_:
            found.setdefault(break_id, []).append(Delivered(Category(category), key or "", send_at))
    return {pk: tuple(items) for pk, items in found.items()}


@transaction.atomic
def break_prompt_add(
    *, brk: Break, category: Category, send_at: datetime, actor: User | None
) -> ScheduledPrompt:
    """One more prompt of a live break at ``send_at``, outside the planned schedule: the first
    template of ``category`` the break's library offers, rendered like the planned ones."""
    if not brk.is_live:
        raise invalid("status", _("Only a scheduled or active break can get a prompt."))
    library = library_for(brk.therapist.practice)
    settings = plan_settings(brk, at=send_at)
    # Not one that counts the messages still to come: only a whole plan can count them.
    templates = [
        t
        for t in eligible_templates(settings, library, category)
        if not template_placeholders(t.text) & ENGINE_PLACEHOLDERS
    ]
    if not templates:
        raise invalid("category", _("The library has no prompt of this kind for this break."))
    spec = templates[0]
    context = {**message_context(brk), **personal_context(spec, settings)}
    prompt = ScheduledPrompt.objects.create(
        break_obj=brk,
        client_id=brk.client_id,
        template=PromptTemplate.objects.filter(key=spec.id).first(),
        category=category.value,
        text=render(spec.text, context),
        send_at=send_at,
        due_at=send_at,
        valid_until=send_at + VALIDITY.get(category, DEFAULT_VALIDITY),
        plan_version=brk.plan_version,
    )
    audit.record(actor, "prompt.added", client=brk.client_id, obj=prompt)
    return prompt


def _live_status(brk: Break, at: datetime) -> str:
    return Break.Status.ACTIVE if brk.starts_at <= at else Break.Status.SCHEDULED


@transaction.atomic
def break_activate(*, brk: Break, actor: User, at: datetime | None = None) -> Break:
    """Draft -> scheduled (or active, if it has started): its prompts are stored for delivery."""
    return breaks_activate(breaks=[brk], actor=actor, at=at)[0]


@transaction.atomic
def breaks_activate(*, breaks: list[Break], actor: User, at: datetime | None = None) -> list[Break]:
    """Activate several drafts at once (a caseload absence) with a fixed number of queries.

    The breaks are locked and read again first: one cancelled since it was loaded is
    refused, not scheduled."""
    at = at or current_time()
    # Locked and read again in one query (as _lock does for one): a cancel since is seen.
    stored = _locked_breaks().in_bulk([b.pk for b in breaks])
    for brk in breaks:
        fresh = stored[brk.pk]
        for field in Break._meta.concrete_fields:
            setattr(brk, field.attname, getattr(fresh, field.attname))
        brk.client, brk.therapist = fresh.client, fresh.therapist
    for brk in breaks:
        if brk.status != Break.Status.DRAFT:
            raise invalid(
                "status",
                _("Only a draft can be activated; break %(id)s is %(status)s.")
                % {"id": brk.pk, "status": brk.status},
            )
        validate_break(brk)
        # Notice is the date the client was told, which the therapist enters; activating
        # a plan is not telling the client.
        brk.status = _live_status(brk, at)
        brk.activated_at = brk.updated_at = at
    # One UPDATE per status (a bulk_update writes a CASE per row and column).
    for status in {b.status for b in breaks}:
        Break.objects.filter(pk__in=[b.pk for b in breaks if b.status == status]).update(
            status=status, activated_at=at, updated_at=at
        )
    _store_prompts(breaks, at=at)
    audit.record_many(actor, "break.activated", [(b.client_id, b) for b in breaks])
    return breaks


@transaction.atomic
def break_cancel(*, brk: Break, actor: User, at: datetime | None = None) -> Break:
    """No further prompt of this break is sent: every pending prompt is skipped."""
    at = at or current_time()
    _lock(brk)
    if brk.status in (Break.Status.CANCELLED, Break.Status.COMPLETED):
        raise invalid("status", _("The break is already %(status)s.") % {"status": brk.status})
    brk.status = Break.Status.CANCELLED
    brk.cancelled_at = at
    brk.save(update_fields=["status", "cancelled_at", "updated_at"])
    brk.prompts.filter(status=ScheduledPrompt.Status.PENDING).update(
        status=ScheduledPrompt.Status.SKIPPED,
        skip_reason=ScheduledPrompt.SkipReason.CANCELLED,
        finished_at=at,
    )
    audit.record(actor, "break.cancelled", client=brk.client, obj=brk)
    return brk


@transaction.atomic
def break_pause(*, brk: Break, actor: User, at: datetime | None = None) -> Break:
    _lock(brk)
    if not brk.is_live:
        raise invalid("status", _("Only a scheduled or active break can be paused."))
    brk.paused_at = at or current_time()
    brk.save(update_fields=["paused_at", "updated_at"])
    audit.record(actor, "break.paused", client=brk.client, obj=brk)
    return brk


@transaction.atomic
def break_resume(*, brk: Break, actor: User) -> Break:
    """A paused break runs again. Only a paused one: a cancelled or completed break stays so."""
    _lock(brk)
    if not brk.is_live or brk.paused_at is None:
        raise invalid("status", _("Only a paused break can be resumed."))
    brk.paused_at = None
    brk.save(update_fields=["paused_at", "updated_at"])
    audit.record(actor, "break.resumed", client=brk.client, obj=brk)
    return brk


def breaks_advance(*, at: datetime | None = None) -> tuple[int, int]:
    """Scheduled breaks that started become active; finished ones become completed."""
    at = at or current_time()
    started = Break.objects.filter(status=Break.Status.SCHEDULED, starts_at__lte=at).update(
        status=Break.Status.ACTIVE
    )
    finished = 0
    for brk in Break.objects.filter(status=Break.Status.ACTIVE).only(
        "id", "ends_at", "return_session_at", "kind", "starts_at"
    ):
        end = brk.return_session_at or brk.ends_at
        if brk.kind == Break.Kind.ENDING:
            # Follow-ups run for months; an ending completes with its prompts, and never
            # before its last session (the client may still say yes to follow-ups).
            end = None
            if not brk.prompts.filter(status__in=ScheduledPrompt.OPEN_STATUSES).exists():
                end = brk.last_session_at
        if end is not None and end + timedelta(days=2) <= at:
            finished += Break.objects.filter(pk=brk.pk, status=Break.Status.ACTIVE).update(
                status=Break.Status.COMPLETED
            )
    return started, finished


# --- A therapist's absence for many clients --------------------------------------------------


def _absence_clients(therapist: User, clients: Any, at: datetime) -> list[Client]:
    own = Client.objects.filter(
        therapist=therapist, deleted_at__isnull=True, archived_at__isnull=True
    )
    if clients == "all":
        # Former clients (therapy ended, or archived) are left out of "all".
        ended = selectors.former_client_ids(therapist, at=at)
        return list(own.exclude(pk__in=ended))
    if not isinstance(clients, list | tuple) or not clients:
        raise invalid("clients", _('Choose at least one client, or "all".'))
    if not all(isinstance(c, int) and not isinstance(c, bool) for c in clients):
        raise invalid("clients", _('Give client ids as numbers, or "all".'))
    found = list(own.filter(pk__in=set(clients)))
    missing = set(clients) - {c.pk for c in found}
    if missing:
        raise invalid("clients", _("Unknown client id %(id)s.") % {"id": sorted(missing)[0]})
    return found


# What may be declared for another therapist: only an absence they could not declare
# themselves. A holiday, a gap or an ending is the therapist's own decision with each client.
DECLARABLE_FOR_ANOTHER = (Break.Kind.UNPLANNED,)


def can_declare_for(actor: User, therapist: User, kind: str | None = None) -> bool:
    """The one rule of who declares which absence for whom (pages and API alike): a therapist
    any absence for themselves; staff and colleagues of the same practice only an unplanned
    one (with ``kind`` None: whether they may declare for this therapist at all)."""
    if actor.pk == therapist.pk:
        return True
    same_practice = actor.practice_id is not None and actor.practice_id == therapist.practice_id
    colleague = same_practice and (
        actor.is_staff or actor.role in (User.Role.STAFF, User.Role.THERAPIST)
    )
    return colleague and (kind is None or kind in DECLARABLE_FOR_ANOTHER)


@transaction.atomic
def absence_plan(
    *,
    actor: User,
    therapist: User,
    clients: Any,
    activate: bool = False,
    call_first: Iterable[int] = (),
    at: datetime | None = None,
    **data: Any,
) -> list[Break]:
    """One draft break per client for a therapist's absence, in a fixed number of queries.

    Only an unplanned absence (the therapist is ill) may be declared by staff or a colleague
    of the same practice (``can_declare_for``); its declarer can see and cancel it
    (``created_by``). Nothing is activated unless ``activate`` says so, and never for "all":
    the review step (``absence_activate``) shows each client's first message and lets the
    declaring person keep back the clients who need a phone call. ``call_first`` (client ids)
    marks those at once; their plans stay drafts and nothing is sent to them.
    """
    at = at or current_time()
    if not therapist.is_therapist or not can_declare_for(actor, therapist):
        raise invalid("therapist", _("Unknown therapist."))
    if activate and clients == "all":
        raise invalid(
            "activate",
            _(
                'Plans for "all" clients are activated only after the review step, which shows '
                "each client's first message."
            ),
        )
    cleaned = clean_break_fields(data)
    for required in ("kind", "starts_at"):
        if cleaned.get(required) is None:
            raise invalid(required, _("This field is required."))
    if not can_declare_for(actor, therapist, cleaned["kind"]):
        raise invalid("kind", _("Only an unplanned absence can be declared for another therapist."))
    chosen = _absence_clients(therapist, clients, at)
    call = _call_first_ids(call_first, {c.pk for c in chosen})
    practice = therapist.practice
    breaks = []
    for client in chosen:
        brk = Break(
            client=client,
            therapist=therapist,
            created_by=actor,
            prompt_times=[],
            prompt_amount=client.prompt_amount,
            seed=random.randrange(1, 2**31),
        )
        brk.therapist = therapist
        for key, value in cleaned.items():
            setattr(brk, key, value)
        if practice is not None and not brk.prompt_times and practice.default_prompt_times:
            brk.prompt_times = list(practice.default_prompt_times)
        _apply_client_defaults(brk, client)
        _settle_open_ends(brk)
        brk.client = client
        brk.needs_call = client.pk in call
        validate_break(brk)
        breaks.append(brk)
    Break.objects.bulk_create(breaks)
    consent.record_break_consents(breaks, before=None, actor=actor, at=at)
    audit.record_many(actor, "break.created", [(b.client_id, b) for b in breaks])
    if activate:
        breaks_activate(breaks=[b for b in breaks if not b.needs_call], actor=actor, at=at)
    return breaks


def _call_first_ids(values: Iterable[Any], known: set[int]) -> set[int]:
    """Client (or break) ids flagged for a phone call: each must be one of ``known``."""
    ids = list(values or ())
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in ids):
        raise invalid("call_first", _("Give ids as numbers."))
    unknown = set(ids) - known
    if unknown:
        raise invalid(
            "call_first", _("Id %(id)s is not part of this absence.") % {"id": min(unknown)}
        )
    return set(ids)


@transaction.atomic
def absence_activate(
    *, breaks: list[Break], call_first: Iterable[int], actor: User, at: datetime | None = None
) -> list[Break]:
    """The review step of a caseload absence: the clients flagged for a phone call (break
    ids in ``call_first``) keep their plan as a draft, marked ``needs_call``, so no message
    goes to them; every other draft is activated. Returns the activated breaks."""
    drafts = [b for b in breaks if b.status == Break.Status.DRAFT]
    call = _call_first_ids(call_first, {b.pk for b in breaks})
    for brk in drafts:
        brk.needs_call = brk.pk in call
    Break.objects.bulk_update(drafts, ["needs_call"])
    to_activate = [b for b in drafts if not b.needs_call]
    if to_activate:
        breaks_activate(breaks=to_activate, actor=actor, at=at)
    if call_first:
        audit.record_many(
            actor, "break.call_first", [(b.client_id, b) for b in drafts if b.needs_call]
        )
    return to_activate


# --- The client's own actions ----------------------------------------------------------------


def _check_preferences_leave_room(client: Client, data: Mapping[str, Any]) -> None:
    """Quiet hours that would cover every prompt time are refused, naming the field."""
    start = data.get("quiet_hours_start", client.quiet_hours_start)
    end = data.get("quiet_hours_end", client.quiet_hours_end)
    times = data.get("prompt_times", client.prompt_times)
    start = None if start in (None, "") else parse_hhmm(start, "quiet_hours_start")
    end = None if end in (None, "") else parse_hhmm(end, "quiet_hours_end")
    parsed = [parse_hhmm(t, "prompt_times") for t in check_prompt_times(times)]
    if all(in_quiet_hours(t, start, end) for t in parsed):
        message = _(
            "These quiet hours cover every prompt time; leave at least one time outside them."
        )
        raise invalid("quiet_hours_start", message)


# --- Previews (write nothing) ----------------------------------------------------------------


def break_build(
    *, therapist: User, client: Client, base: Break | None = None, **data: Any
) -> Break:
    """An unsaved break with ``data`` applied and checked, for the plan builder's preview.

    Cleans and validates exactly like ``break_create``/``break_update`` (same field errors),
    but writes nothing: ``base`` (an existing break) is copied, never changed.
    """
    _check_owner(therapist, client)
    cleaned = clean_break_fields(data)
    if base is not None:
        brk = copy.copy(base)
        brk.pk = None
    else:
        brk = Break(
            client=client,
            therapist=therapist,
            prompt_times=[],
            prompt_amount=client.prompt_amount,
            seed=1,
        )
        if cleaned.get("kind") is None:
            raise invalid("kind", _("This field is required."))
    if cleaned.get("starts_at", ...) is None:
        raise invalid("starts_at", _("This field is required."))
    brk.status = Break.Status.DRAFT
    for key, value in cleaned.items():
        setattr(brk, key, value)
    _apply_client_defaults(brk, client)
    validate_break(brk)
    return brk
