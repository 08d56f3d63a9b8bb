"""Serializers: the shape and types of what the API reads and writes.

They check shape only (types, enums, lengths, "HH:MM", ranges). Business rules (a break
ends after it starts, quiet hours leave a prompt time free, the client is the caller's) are
the services' job; their ``ValidationError`` becomes a 400 with the same field keys.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.converters import MAX_ID
from planner.breaks.selectors import CoveringView, DeclaredView, covering_view, declared_view
from planner.breaks.validation import DATE_RANGE_MESSAGE, in_date_range
from planner.checklist.selectors import ITEM_KEYS, NOTICE, TICKED_KEYS, checklist_state
from planner.ending.blueprint import COME_BACK_MAX
from planner.models import (
    AVOID_TOPICS,
    PROMPT_AMOUNTS,
    Break,
    Channel,
    CheckIn,
    Client,
    Delivery,
    InboxMessage,
    SupportItem,
)
from planner.onboarding.selectors import invitation_status_for_client
from planner.schedule.supports import NEEDS

HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class Text(serializers.CharField):
    """A string, and only a string: 12 is not a name (DRF would quietly accept it)."""

    default_error_messages = {"invalid": "Not a valid string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "pattern": HHMM.pattern, "example": "09:30"})
class HHMMField(Text):
    """A local wall-clock time "HH:MM" (24-hour)."""

    default_error_messages = {"invalid_time": "Use a 24-hour time like 09:30."}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 5)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not HHMM.match(value):
            self.fail("invalid_time")
        return value

    def to_representation(self, value):
        if isinstance(value, time):
            return value.strftime("%H:%M")
        return str(value)[:5]


class BoundedDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date and time, between the years 2000 and 2099 (the pages' and the services'
    rule: planner.breaks.validation.in_date_range)."""

    default_error_messages = {"out_of_range": DATE_RANGE_MESSAGE}

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not in_date_range(parsed):
            self.fail("out_of_range")
        return parsed


@extend_schema_field(OpenApiTypes.DATETIME)
class OffsetDateTimeField(serializers.Field):
    """An aware datetime shown with its own offset (a prompt in the break's time zone)."""

    def to_representation(self, value):
        return value.isoformat()


class BoosterSessionsField(serializers.ListField):
    """Booked booster sessions: datetimes in, stored as ISO 8601 in UTC, shown with "Z"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", BoundedDateTimeField())
        kwargs.setdefault("max_length", 6)
        super().__init__(**kwargs)

    def to_representation(self, data):
        values = [datetime.fromisoformat(v) if isinstance(v, str) else v for v in data or []]
        return [self.child.to_representation(v) for v in values]


CHECKLIST_SCHEMA = {
    "type": "object",
    "description": "The pre-break checklist: only the items of the break's kind (none for an "
    "unplanned absence). notice_given is the day the client was told (the plan's "
    "notice_given_at, in the break's zone) or null; return_booked is true while the plan holds "
    "a return session. Reminders only: nothing waits on it.",
    "properties": {
        NOTICE: {"type": "string", "format": "date", "nullable": True},
        **{key: {"type": "boolean"} for key in TICKED_KEYS},
    },
    "additionalProperties": False,
}


@extend_schema_field(CHECKLIST_SCHEMA)
class ChecklistField(serializers.Field):
    """PATCH: the items to tick (true) or untick (false), and notice_given as a day or null;
    the items left out stay as they are."""

    default_error_messages = {
        "not_object": "Give the checklist as an object of items.",
        "unknown": "Unknown checklist item {item}; use one of {items}.",
        "not_bool": "Tick an item with true, untick it with false.",
        "not_day": "Give the day notice was given as YYYY-MM-DD, or null.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("not_object")
        items = {}
        for key, value in data.items():
            if key not in ITEM_KEYS:
                self.fail("unknown", item=repr(str(key)[:40]), items=", ".join(ITEM_KEYS))
            if key == NOTICE:
                items[key] = None if value is None else self._day(value)
            elif isinstance(value, bool):
                items[key] = value
            else:
                self.fail("not_bool")
        return items

    def _day(self, value):
        if not isinstance(value, str):
            self.fail("not_day")
        try:
            day = datetime.strptime(value, "%Y-%m-%d").date()
        except ValueError:
            self.fail("not_day")
        return day

    def to_representation(self, value):
        return value


BLUEPRINT_HELP = "An ending's relapse-prevention blueprint (only an ending has one)."

PROMPT_AMOUNT_HELP = (
    "How many prompts: fewer, usual or more (at most one a day whichever; see docs/clinical.md)."
)


def id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def text_list(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=Text(max_length=500, allow_blank=True),
        max_length=30,
        **kwargs,
    )


# --- Errors, for the schema ---------------------------------------------------------------


class DetailSerializer(serializers.Serializer):
    detail = Text()


class ThrottledSerializer(serializers.Serializer):
    detail = Text(help_text='e.g. "... Expected available in 12 seconds."')
    retry_after = serializers.IntegerField(help_text="Seconds to wait, as in Retry-After.")


# --- Auth ---------------------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    username = Text(max_length=254, help_text="The login email address.")
    password = Text(max_length=128, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = Text(help_text="Send it as `Authorization: Token <token>`; it is shown only once.")
    expiry = serializers.DateTimeField(
        allow_null=True, help_text="When the token stops working (API_TOKEN_TTL_HOURS)."
    )


# --- Clients ------------------------------------------------------------------------------


class ClientSettingsSerializer(serializers.Serializer):
    """When and how a client hears from Between: set by the therapist (clients/) and by the
    client (me/preferences/)."""

    timezone = Text(max_length=64, required=False, help_text="IANA name.")
    quiet_hours_start = HHMMField(allow_null=True, required=False)
    quiet_hours_end = HHMMField(allow_null=True, required=False)
    prompt_times = serializers.ListField(
        child=HHMMField(), min_length=1, max_length=8, required=False
    )
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.values), max_length=4, required=False
    )
    full_text_opt_in = serializers.BooleanField(required=False)
    prompt_amount = serializers.ChoiceField(
        choices=[v for v, _label in PROMPT_AMOUNTS], required=False, help_text=PROMPT_AMOUNT_HELP
    )


class InvitationStatusSerializer(serializers.Serializer):
    """Whether the client has a login: not invited, being sent, invited, expired, joined."""

    status = serializers.ChoiceField(
        choices=["not_invited", "sending", "invited", "expired", "joined"]
    )
    invited_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True, help_text="When the link stops.")
    joined_at = serializers.DateTimeField(allow_null=True)


class ClientSerializer(ClientSettingsSerializer):
    id = serializers.IntegerField(read_only=True)
    first_name = Text(max_length=100)
    last_name = Text(max_length=100, allow_blank=True, required=False)
    email = serializers.EmailField(max_length=254, allow_blank=True, required=False)
    phone = Text(
        max_length=40,
        allow_blank=True,
        required=False,
        help_text="Stored and shown in E.164 (+447700900123); a national number is read in "
        "the client's country.",
    )
    country = Text(
        min_length=2,
        max_length=2,
        help_text="ISO 3166-1 alpha-2 code, e.g. GB; required on create (it chooses the "
        "crisis lines).",
    )
    country_confirmed_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the client confirmed their country (null until they do; a therapist's "
        "change of country clears it).",
    )
    paused_until = serializers.DateTimeField(read_only=True, allow_null=True)
    archived_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Therapy has ended (POST .../archive/)."
    )
    invitation = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(InvitationStatusSerializer)
    def get_invitation(self, client: Client) -> dict:
        return InvitationStatusSerializer(invitation_status_for_client(client)).data


# --- Breaks -------------------------------------------------------------------------------


class CoveringClinicianSerializer(serializers.Serializer):
    name = Text(max_length=200)
    phone = Text(max_length=200, allow_blank=True, required=False)
    email = Text(max_length=200, allow_blank=True, required=False)


class SupportContactSerializer(serializers.Serializer):
    name = Text(max_length=200)
    relationship = Text(max_length=200, allow_blank=True, required=False)
    phone = Text(max_length=200, allow_blank=True, required=False)
    notes = Text(max_length=200, allow_blank=True, required=False)


class BreakSerializer(serializers.Serializer):
    """A break as its therapist sees and edits it."""

    view = serializers.SerializerMethodField(help_text='Which view of the break: "therapist".')
    id = serializers.IntegerField(read_only=True)
    client = serializers.SerializerMethodField()
    kind = serializers.ChoiceField(choices=Break.Kind.choices)
    status = serializers.ChoiceField(choices=Break.Status.choices, read_only=True)
    starts_at = BoundedDateTimeField()
    ends_at = BoundedDateTimeField(
        allow_null=True,
        required=False,
        help_text="null for an ending, and for an unplanned absence whose end is not known.",
    )
    return_session_at = BoundedDateTimeField(
        allow_null=True, required=False, help_text="The first session back; null: none booked."
    )
    notice_given_at = BoundedDateTimeField(
        allow_null=True,
        required=False,
        help_text="When the client was told about the break, as the therapist enters it.",
    )
    timezone = Text(max_length=64, required=False)
    quiet_hours_start = HHMMField(allow_null=True, required=False)
    quiet_hours_end = HHMMField(allow_null=True, required=False)
    prompt_times = serializers.ListField(
        child=HHMMField(), min_length=1, max_length=8, required=False
    )
    max_per_day = serializers.IntegerField(min_value=1, max_value=6, required=False)
    min_spacing_minutes = serializers.IntegerField(min_value=30, max_value=720, required=False)
    prompt_amount = serializers.ChoiceField(
        choices=[v for v, _label in PROMPT_AMOUNTS], required=False, help_text=PROMPT_AMOUNT_HELP
    )
    avoid_topics = serializers.ListField(
        child=serializers.ChoiceField(choices=[v for v, _label in AVOID_TOPICS]),
        max_length=len(AVOID_TOPICS),
        required=False,
        help_text='Topics left out for this client: "body" (breath and body-focused '
        'exercises), "food".',
    )
    booster_sessions = BoosterSessionsField(
        required=False, help_text="An ending: booked booster sessions, after the last session."
    )
    sessions_plan = serializers.ChoiceField(
        choices=Break.SessionsPlan.choices,
        allow_blank=True,
        required=False,
        help_text="An unplanned absence: what happens to booked sessions (required for one).",
    )
    needs_call = serializers.BooleanField(
        read_only=True,
        help_text="Kept back at an absence's review step for a phone call: no message is sent.",
    )
    covering_clinician = CoveringClinicianSerializer(allow_null=True, required=False)
    covering_user = serializers.SerializerMethodField()
    coping_strategies = text_list(required=False)
    support_contacts = serializers.ListField(
        child=SupportContactSerializer(), max_length=30, required=False
    )
    therapist_note = Text(max_length=4000, allow_blank=True, required=False)
    warning_signs = text_list(required=False)
    distractions = text_list(required=False)
    professional_contacts = text_list(required=False)
    environment_safety = text_list(required=False)
    reasons_for_hope = text_list(required=False)
    blueprint_learned = text_list(required=False, help_text=BLUEPRINT_HELP)
    blueprint_early_signs = text_list(required=False, help_text=BLUEPRINT_HELP)
    blueprint_actions = text_list(required=False, help_text=BLUEPRINT_HELP)
    blueprint_contacts = text_list(required=False, help_text=BLUEPRINT_HELP)
    blueprint_come_back = Text(
        max_length=COME_BACK_MAX,
        allow_blank=True,
        required=False,
        help_text="An ending: how to come back to therapy (how re-referral works).",
    )
    follow_ups_opted_in_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="An ending: when the client said yes to follow-ups (null: they have not).",
    )
    distress_threshold = serializers.IntegerField(min_value=0, max_value=10, required=False)
    escalation_enabled = serializers.BooleanField(read_only=True)
    share_check_ins_with_covering = serializers.BooleanField(required=False)
    checklist = serializers.SerializerMethodField()
    paused = serializers.SerializerMethodField()
    activated_at = serializers.DateTimeField(read_only=True, allow_null=True)
    cancelled_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_client(self, brk: Break) -> int:
        return brk.client_id

    def get_covering_user(self, brk: Break) -> int | None:
        return brk.covering_user_id

    @extend_schema_field(CHECKLIST_SCHEMA)
    def get_checklist(self, brk: Break) -> dict:
        return checklist_state(brk)

    def get_paused(self, brk: Break) -> bool:
        return brk.paused_at is not None

    @extend_schema_field({"type": "string", "enum": ["therapist"]})
    def get_view(self, brk: Break) -> str:
        return "therapist"


class BreakSummarySerializer(serializers.Serializer):
    """A break in the therapist's list: where it stands, not its plan. The plan (times, quiet
    hours, the safety plan's sections, the note) is on ``GET /breaks/{id}/``."""

    view = serializers.SerializerMethodField(help_text='Which view of the break: "summary".')
    id = serializers.IntegerField()
    client = serializers.IntegerField(source="client_id")
    kind = serializers.ChoiceField(choices=Break.Kind.choices)
    status = serializers.ChoiceField(choices=Break.Status.choices)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(allow_null=True)
    return_session_at = serializers.DateTimeField(allow_null=True)
    notice_given_at = serializers.DateTimeField(allow_null=True)
    timezone = Text()
    needs_call = serializers.BooleanField()
    covering_user = serializers.IntegerField(source="covering_user_id", allow_null=True)
    paused = serializers.SerializerMethodField()
    activated_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_paused(self, brk: Break) -> bool:
        return brk.paused_at is not None

    @extend_schema_field({"type": "string", "enum": ["summary"]})
    def get_view(self, brk: Break) -> str:
        return "summary"


# The columns of a summary, read as value rows (``break_summaries``).
BREAK_SUMMARY_COLUMNS = (
    "id",
    "client_id",
    "kind",
    "status",
    "starts_at",
    "ends_at",
    "return_session_at",
    "notice_given_at",
    "timezone",
    "needs_call",
    "covering_user_id",
    "paused_at",
    "activated_at",
    "cancelled_at",
    "created_at",
    "updated_at",
)


def break_summaries(rows) -> list[dict]:
    """The same JSON as BreakSummarySerializer, straight from value rows
    (``BREAK_SUMMARY_COLUMNS``): a list of 50 is built without 50 serializers."""
    return [
        {
            "view": "summary",
            "id": row["id"],
            "client": row["client_id"],
            "kind": row["kind"],
            "status": row["status"],
            "starts_at": _iso(row["starts_at"]),
            "ends_at": _iso(row["ends_at"]),
            "return_session_at": _iso(row["return_session_at"]),
            "notice_given_at": _iso(row["notice_given_at"]),
            "timezone": row["timezone"],
            "needs_call": row["needs_call"],
            "covering_user": row["covering_user_id"],
            "paused": row["paused_at"] is not None,
            "activated_at": _iso(row["activated_at"]),
            "cancelled_at": _iso(row["cancelled_at"]),
            "created_at": _iso(row["created_at"]),
            "updated_at": _iso(row["updated_at"]),
        }
        for row in rows
    ]


class BreakWriteSerializer(BreakSerializer):
    """What a therapist sends to create (POST) or edit (PATCH) a break."""

    client = id_field(  # type: ignore[assignment]  # an id in, where BreakSerializer shows one
        help_text="One of your clients; anything else is 400 Unknown client."
    )
    covering_user = id_field(  # type: ignore[assignment]
        allow_null=True,
        required=False,
        help_text="A therapist of your practice who covers and may see what the break shares.",
    )

    # The longest break allowed is a business rule: services.validate_break checks it.


class BreakUpdateSerializer(BreakWriteSerializer):
    """PATCH: any field but the client (a break stays with its client)."""

    client = None  # type: ignore[assignment]  # DRF's way to drop an inherited field
    checklist = ChecklistField(required=False)  # type: ignore[assignment]


class CoveringBreakSerializer(serializers.Serializer):
    """What a break shares with the covering clinician: ``selectors.covering_view`` decides
    (the page shows the same); conservative on purpose (no note, no warning signs); the
    client's people only when the client agreed to share."""

    view = serializers.SerializerMethodField(help_text='Which view of the break: "covering".')
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Break.Kind.choices)
    status = serializers.ChoiceField(choices=Break.Status.choices)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(allow_null=True)
    return_session_at = serializers.DateTimeField(allow_null=True)
    timezone = Text()
    client_first_name = Text()
    covering_clinician = CoveringClinicianSerializer(allow_null=True)
    escalation_enabled = serializers.BooleanField()
    share_check_ins_with_covering = serializers.BooleanField()
    support_contacts = SupportContactSerializer(many=True)

    def to_representation(self, instance):
        view = instance if isinstance(instance, CoveringView) else covering_view(instance)
        return super().to_representation(view)

    @extend_schema_field({"type": "string", "enum": ["covering"]})
    def get_view(self, view: CoveringView) -> str:
        return "covering"


class DeclaredBreakSerializer(serializers.Serializer):
    """An absence declared for another therapist, as its declarer sees it
    (``selectors.declared_view``; the page shows the same): what was declared and where it
    stands, never the plan the therapist writes into it."""

    view = serializers.SerializerMethodField(help_text='Which view of the break: "declared".')
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Break.Kind.choices)
    status = serializers.ChoiceField(choices=Break.Status.choices)
    therapist = serializers.IntegerField(help_text="The therapist it was declared for.")
    therapist_name = Text()
    client = serializers.IntegerField()
    client_first_name = Text()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(allow_null=True)
    return_session_at = serializers.DateTimeField(allow_null=True)
    covering_clinician = CoveringClinicianSerializer(allow_null=True)
    sessions_plan = serializers.ChoiceField(
        choices=[("", "not given"), *Break.SessionsPlan.choices],
        help_text="What happens to the client's booked sessions, as declared.",
    )
    needs_call = serializers.BooleanField(
        help_text="Kept as a draft at the review step: the client is phoned, not messaged."
    )
    created_at = serializers.DateTimeField()
    cancelled_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance):
        view = instance if isinstance(instance, DeclaredView) else declared_view(instance)
        return super().to_representation(view)

    @extend_schema_field({"type": "string", "enum": ["declared"]})
    def get_view(self, view: DeclaredView) -> str:
        return "declared"


class ClientBreakSerializer(serializers.Serializer):
    """A break as its client sees it: the plan they made with their therapist."""

    view = serializers.SerializerMethodField(help_text='Which view of the break: "client".')
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Break.Kind.choices)
    status = serializers.ChoiceField(choices=Break.Status.choices)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(allow_null=True)
    return_session_at = serializers.DateTimeField(allow_null=True)
    timezone = Text()
    quiet_hours_start = HHMMField(allow_null=True)
    quiet_hours_end = HHMMField(allow_null=True)
    prompt_times = serializers.ListField(child=HHMMField())
    covering_clinician = CoveringClinicianSerializer(allow_null=True)
    coping_strategies = serializers.ListField(child=Text())
    support_contacts = SupportContactSerializer(many=True)
    therapist_note = Text()
    warning_signs = serializers.ListField(child=Text())
    distractions = serializers.ListField(child=Text())
    professional_contacts = serializers.ListField(child=Text())
    environment_safety = serializers.ListField(child=Text())
    reasons_for_hope = serializers.ListField(child=Text())
    escalation_enabled = serializers.BooleanField()
    share_check_ins_with_covering = serializers.BooleanField()
    booster_sessions = BoosterSessionsField(help_text="An ending: booked booster sessions.")
    blueprint_learned = serializers.ListField(child=Text())
    blueprint_early_signs = serializers.ListField(child=Text())
    blueprint_actions = serializers.ListField(child=Text())
    blueprint_contacts = serializers.ListField(child=Text())
    blueprint_come_back = Text()
    follow_ups_opted_in_at = serializers.DateTimeField(allow_null=True)
    paused = serializers.SerializerMethodField()

    def get_paused(self, brk: Break) -> bool:
        return brk.paused_at is not None

    @extend_schema_field({"type": "string", "enum": ["client"]})
    def get_view(self, brk: Break) -> str:
        return "client"


class FollowUpsSerializer(serializers.Serializer):
    """The client's own answer about follow-ups after their ending."""

    granted = serializers.BooleanField(
        help_text="true: follow-ups after the last session, quoting the blueprint; false: none "
        "(only the reminders of booked booster sessions)."
    )


class PromptSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="null in a draft's preview.")
    category = Text()
    template = Text(
        allow_blank=True,
        help_text='The library template\'s key, e.g. "coping-03" ("" for a prompt whose '
        "template was removed).",
    )
    send_at = serializers.DateTimeField(help_text="UTC.")
    local_send_at = OffsetDateTimeField(help_text="With the break time zone's offset.")
    status = Text(help_text='"preview" for a draft, else the prompt status.')
    text = Text()
    skip_reason = Text(allow_blank=True)


class DeliverySerializer(serializers.ModelSerializer):
    prompt = serializers.IntegerField(source="prompt.id")
    category = Text(source="prompt.category")
    send_at = serializers.DateTimeField(source="prompt.send_at")

    class Meta:
        model = Delivery
        fields = [
            "id",
            "prompt",
            "category",
            "send_at",
            "channel",
            "status",
            "attempts",
            "last_error",
            "attempted_at",
            "sent_at",
        ]


class CheckInSerializer(serializers.ModelSerializer):
    break_id = serializers.IntegerField(source="break_obj_id", allow_null=True)

    class Meta:
        model = CheckIn
        fields = [
            "id",
            "break_id",
            "distress",
            "note",
            "need_support_now",
            "escalated",
            "created_at",
        ]


class CoverageSerializer(CoveringBreakSerializer):
    support_check_ins = CheckInSerializer(
        many=True,
        read_only=True,
        help_text="Check-ins that asked for support, when the client agreed to share them.",
    )

    def to_representation(self, instance: Break) -> dict:
        data = dict(CoveringBreakSerializer(instance, context=self.context).data)
        # support_check_ins: prefetched by selectors.api_coverage_for
        rows = instance.support_check_ins if instance.share_check_ins_with_covering else []  # type: ignore[attr-defined]
        data["support_check_ins"] = list(CheckInSerializer(rows, many=True).data)
        return data


@extend_schema_field(
    {
        "oneOf": [
            {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1},
            {"type": "string", "enum": ["all"]},
        ]
    }
)
class ClientsField(serializers.JSONField):
    """A list of client ids, or the string "all"."""


class AbsenceSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Break.Kind.choices)
    starts_at = BoundedDateTimeField()
    ends_at = BoundedDateTimeField(allow_null=True, required=False)
    return_session_at = BoundedDateTimeField(allow_null=True, required=False)
    covering_clinician = CoveringClinicianSerializer(allow_null=True, required=False)
    clients = ClientsField(help_text='A list of your client ids, or "all".')
    therapist = id_field(
        required=False,
        help_text="Declare for a colleague of your practice (staff and colleagues only).",
    )
    sessions_plan = serializers.ChoiceField(
        choices=Break.SessionsPlan.choices,
        allow_blank=True,
        required=False,
        help_text="An unplanned absence: what happens to booked sessions (required for one).",
    )
    notice_given_at = BoundedDateTimeField(allow_null=True, required=False)
    call_first = serializers.ListField(
        child=id_field(),
        max_length=1000,
        required=False,
        default=list,
        help_text="Client ids to phone rather than message: their plans stay drafts.",
    )
    activate = serializers.BooleanField(
        default=False,
        help_text='Activate the drafts at once (not with "all": those go through '
        "POST /absences/activate/ after a review).",
    )

    def validate_clients(self, value):
        if value == "all":
            return value
        if (
            not isinstance(value, list)
            or not value
            or len(value) > 1000
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        ):
            raise serializers.ValidationError('Give a list of client ids, or "all".')
        if any(not 1 <= v <= MAX_ID for v in value):
            raise serializers.ValidationError("Unknown client.")
        return value


class AbsenceActivateSerializer(serializers.Serializer):
    """The review step of an absence: activate its drafts, keeping back those to phone."""

    breaks = serializers.ListField(
        child=id_field(), min_length=1, max_length=1000, help_text="The drafts' break ids."
    )
    call_first = serializers.ListField(
        child=id_field(),
        max_length=1000,
        required=False,
        default=list,
        help_text="Break ids (among breaks) whose client gets a phone call instead.",
    )


# --- The client's own -----------------------------------------------------------------------


class InboxMessageSerializer(serializers.ModelSerializer):
    break_id = serializers.IntegerField(source="break_obj_id", allow_null=True)
    template = serializers.SerializerMethodField(
        help_text='The library template\'s key, e.g. "coping-03" ("" when not known).'
    )
    feedback = serializers.SerializerMethodField(
        help_text='The client\'s answer: true "This helped", false "Not for me", null none.'
    )

    class Meta:
        model = InboxMessage
        fields = [
            "id",
            "break_id",
            "category",
            "text",
            "delivered_at",
            "acknowledged_at",
            "template",
            "feedback",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_template(self, message: InboxMessage) -> str:
        prompt = message.prompt
        return prompt.template.key if prompt is not None and prompt.template is not None else ""

    @extend_schema_field({"type": "boolean", "nullable": True})
    def get_feedback(self, message: InboxMessage) -> bool | None:
        feedback = getattr(message, "feedback", None)
        return feedback.helpful if feedback is not None else None


class InboxFeedbackSerializer(serializers.Serializer):
    helpful = serializers.BooleanField(
        help_text='true: "This helped"; false: "Not for me" (its template is not sent again).'
    )

    def to_internal_value(self, data):
        # true or false only: DRF would read "yes", 1 or "on" as true.
        if isinstance(data, dict) and not isinstance(data.get("helpful"), bool):
            raise serializers.ValidationError({"helpful": ["Send true or false."]})
        return super().to_internal_value(data)


class SupportItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="Leave out (or null) for a new support; give it to keep one.",
    )
    kind = serializers.ChoiceField(choices=SupportItem.Kind.choices)
    name = Text(max_length=80, help_text="The client's own words, quoted in prompts.")
    needs = serializers.ListField(
        child=Text(max_length=30),
        max_length=8,
        required=False,
        default=list,
        help_text=f"Any of {', '.join(NEEDS)}, or the client's own word.",
    )
    when = serializers.ListField(
        child=Text(max_length=10),
        max_length=12,
        required=False,
        default=list,
        help_text="mon .. sun, weekends, evenings, or an ISO date (2026-12-24).",
    )
    note = Text(max_length=300, allow_blank=True, required=False, default="")


class SupportMapSerializer(serializers.Serializer):
    items = serializers.ListField(child=SupportItemSerializer(), max_length=40)


def _iso(value) -> str | None:
    """A datetime as DRF's DateTimeField writes it (UTC, "Z")."""
    if value is None:
        return None
    if value.tzinfo is UTC:  # as read from the database: no conversion to make
        return value.isoformat()[:-6] + "Z"
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def inbox_representation(rows) -> list[dict]:
    """The same JSON as InboxMessageSerializer, built straight from value rows: the inbox is
    the hottest read, and field-by-field serializing cost more than its query."""
    return [
        {
            "id": row["id"],
            "break_id": row["break_obj_id"],
            "category": row["category"],
            "text": row["text"],
            "delivered_at": _iso(row["delivered_at"]),
            "acknowledged_at": _iso(row["acknowledged_at"]),
            "template": row["prompt__template__key"] or "",
            "feedback": row["feedback__helpful"],
        }
        for row in rows
    ]


class PreferencesSerializer(ClientSettingsSerializer):
    country = Text(
        min_length=2,
        max_length=2,
        required=False,
        help_text="ISO 3166 code. Sending it confirms it (country_confirmed_at).",
    )
    country_confirmed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    paused_until = BoundedDateTimeField(
        allow_null=True, required=False, help_text="Pause every prompt until then; null resumes."
    )


class CheckInCreateSerializer(serializers.Serializer):
    distress = serializers.IntegerField(min_value=0, max_value=10)
    note = Text(max_length=2000, allow_blank=True, required=False, default="")
    need_support_now = serializers.BooleanField(required=False, default=False)


class CheckInResultSerializer(serializers.Serializer):
    check_in = CheckInSerializer()
    crisis_resources = serializers.JSONField()
    support_contacts = SupportContactSerializer(many=True)
    coping_strategies = serializers.ListField(child=Text())
    covering_clinician = CoveringClinicianSerializer(allow_null=True)
    escalated = serializers.BooleanField()
    escalation_message = Text(allow_blank=True)
    not_emergency_statement = Text()
    readers = serializers.JSONField()
