"""Demo data for `manage.py loaddemo`: one practice, two therapists, five clients, a holiday in
progress and an ending coming (with its blueprint, booster sessions and checklist).

Idempotent: objects are looked up by their natural keys (emails, names) and updated. Clients,
breaks and prompts are written through the services, like any other.
"""

from __future__ import annotations

from datetime import time, timedelta

from django.utils.timezone import now

from core.models import Practice, User
from planner.admin import practice_staff_group
from planner.breaks import services
from planner.checklist.services import checklist_update
from planner.continuity import services as continuity
from planner.letters import services as letters
from planner.models import Break, Client, Invitation, Letter
from planner.onboarding import services as onboarding
from planner.schedule.types import Category
from planner.supportmap.services import map_replace

DEMO_CLIENTS = [
    # (first, last, email, phone, timezone, country)
    ("Robin", "Example", "client@example.com", "+447700900123", "Europe/London", "GB"),
    ("Sam", "Rivers", "sam.rivers@example.com", "+447700900124", "Europe/London", "GB"),
    ("Alex", "Moreno", "alex.moreno@example.com", "", "Europe/London", "GB"),
    ("Jo", "Lindqvist", "jo.lindqvist@example.com", "", "Europe/London", "GB"),
    ("Kai", "Okafor", "kai.okafor@example.com", "", "America/New_York", "US"),
]


def _user(email: str, password: str, **fields) -> User:
    user, created = User.objects.get_or_create(email=email, defaults=fields)
    if not created:
        for key, value in fields.items():
            setattr(user, key, value)
    user.set_password(password)
    user.save()
    return user


def load(*, password: str) -> list[str]:
    practice, _ = Practice.objects.update_or_create(
        name="Riverside Therapy (demo)",
        defaults={
            "country": "GB",
            "timezone": "Europe/London",
            "fallback_contact_name": "Practice manager",
            "fallback_contact_email": "office@example.com",
            "contact_email": "office@example.com",
            "contact_phone": "+44 20 7946 0123",
            "default_prompt_times": ["09:00", "13:00", "19:00"],
            "default_quiet_hours_start": time(22, 0),
            "default_quiet_hours_end": time(8, 0),
        },
    )
    therapist = _user(
        "therapist@example.com",
        password,
        first_name="Morgan",
        last_name="Hale",
        role=User.Role.THERAPIST,
        practice=practice,
    )
    colleague = _user(
        "therapist2@example.com",
        password,
        first_name="Priya",
        last_name="Shah",
        role=User.Role.THERAPIST,
        practice=practice,
        phone="+447700900200",
    )
    # Practice staff, not a superuser: the admin with the "Practice staff" group's
    # permissions, scoped to this practice (a superuser is the installation's operator).
    staff = _user(
        "staff@example.com",
        password,
        first_name="Lee",
        last_name="Staff",
        role=User.Role.STAFF,
        practice=practice,
        is_staff=True,
        is_superuser=False,
    )
    staff.groups.add(practice_staff_group())
    clients = [
        _client(therapist, first, last, email, phone, tz, country)
        for first, last, email, phone, tz, country in DEMO_CLIENTS
    ]
    robin = clients[0]
    login = _user(
        "client@example.com",
        password,
        first_name=robin.first_name,
        last_name=robin.last_name,
        role=User.Role.CLIENT,
        practice=practice,
    )
    services.client_set_login(client=robin, user=login, actor=therapist)
    # Robin confirmed their country when they joined (as an invitation does).
    services.client_update(client=robin, actor=login, source="demo", country=robin.country)
    # Robin's support map (before the break is planned, so its prompts quote it on its days).
    map_replace(client=robin, items=DEMO_MAP, actor=login)
    demo_break = _demo_break(robin, therapist, colleague)
    alex = clients[2]
    alex_login = _user(
        alex.email,
        password,
        first_name=alex.first_name,
        last_name=alex.last_name,
        role=User.Role.CLIENT,
        practice=practice,
    )
    services.client_set_login(client=alex, user=alex_login, actor=therapist)
    services.client_update(client=alex, actor=alex_login, source="demo", country=alex.country)
    ending = _demo_ending(alex, therapist)
    _demo_letters(robin, login)
    invited, link = _demo_invitation(clients[1], therapist)
    # Morgan's plan for a sudden absence: Priya contacts the clients, Sam and Alex by phone.
    # Priya sees the call list once staff declare an absence on Morgan's practice page.
    continuity.plan_save(
        therapist=therapist,
        colleague=colleague,
        script=(
            "Hello, this is Priya Shah from Riverside Therapy. I'm calling because Morgan is "
            "unwell and cannot see clients for now. I don't know yet when Morgan will be back. "
            "Your sessions are cancelled for the moment; the practice will keep you informed."
        ),
        call_clients=clients[1:3],
    )
    return [
        "therapist@example.com / " + password + " (therapist, five clients)",
        "therapist2@example.com / " + password + " (covering clinician of the demo break)",
        "client@example.com / " + password + " (client, break in progress, two letters)",
        "staff@example.com / " + password + " (practice staff, the admin of this practice)",
        f"Morgan's continuity plan names Priya: as staff, declare an absence at "
        f"/practice/therapists/{therapist.pk}/absence/, then see the call list as therapist2",
        f"{alex.email} / {password} (client, therapy ending: the blueprint, follow-ups)",
        f"demo break id {demo_break.pk}, demo ending id {ending.pk}",
        f"{invited.email} is invited, not yet joined: {link}",
    ]


DEMO_MAP = [
    {"kind": "person", "name": "Jamie", "needs": ["company"], "when": ["evenings"]},
    {"kind": "group", "name": "Thursday choir", "needs": ["company", "fun"], "when": ["thu"]},
    {"kind": "place", "name": "The allotment", "needs": ["calm", "purpose"], "when": ["weekends"]},
    {"kind": "place", "name": "The library café", "needs": ["comfort"], "when": ["sat"]},
    {"kind": "person", "name": "My sister", "needs": ["practical", "feeling understood"]},
]


def _client(therapist: User, first, last, email, phone, tz, country) -> Client:
    fields = {
        "first_name": first,
        "last_name": last,
        "phone": phone,
        "timezone": tz,
        "country": country,
        # The demo client has no quiet hours, so the demo prompt arrives at any hour.
        "quiet_hours_start": None if email == "client@example.com" else time(22, 0),
        "quiet_hours_end": None if email == "client@example.com" else time(8, 0),
        "channels": ["inbox"],
    }
    client = Client.objects.filter(therapist=therapist, email=email).first()
    if client is None:
        return services.client_create(therapist=therapist, email=email, **fields)
    return services.client_update(client=client, actor=therapist, source="demo", **fields)


def _demo_invitation(client: Client, therapist: User) -> tuple[Invitation, str]:
    """Sam is invited but has not joined. No email is sent: the link is printed, and a new
    token replaces the previous one (the old link stops working) each time the demo loads."""
    invitation = client.invitations.filter(accepted_at=None, revoked_at=None).first()
    if invitation is None:
        invitation = onboarding.invitation_client_send(client=client, actor=therapist, email=False)
    token = onboarding.invitation_hand_out(invitation=invitation)
    return invitation, onboarding.invitation_url(token)


DEMO_LETTERS = [
    # (text, arrival): written in the session that planned the break
    (
        "Dear me, it's the weekend and the flat is quiet. You know this feeling, and you know "
        "it passes. Text Jamie, walk to the river, and let the day be small.",
        "first_weekend",
    ),
    (
        "If you're reading this, today is a hard one. You have got through hard days before. "
        "Breathe out slowly, look at your plan, and call someone on it.",
        "check_in_high",
    ),
]


def _demo_letters(client: Client, login: User) -> None:
    """Robin's letters to self (once: a second load finds them by their text)."""
    for text, arrival in DEMO_LETTERS:
        if not Letter.objects.filter(client=client, text=text).exists():
            letters.letter_create(client=client, actor=login, text=text, arrival=arrival)


def _demo_break(client: Client, therapist: User, colleague: User) -> Break:
    """A holiday that started yesterday and ends in two weeks, planned and activated through
    the services like any other (a second load moves it to the new dates)."""
    current = now()
    fields = {
        "starts_at": current - timedelta(days=1),
        "ends_at": current + timedelta(days=14),
        "return_session_at": current + timedelta(days=15),
        "notice_given_at": current - timedelta(days=30),
        "prompt_times": ["09:00", "13:00", "19:00"],
        "covering_clinician": {
            "name": colleague.full_name,
            "phone": colleague.phone,
            "email": colleague.email,
        },
        "covering_user": colleague,
        "warning_signs": ["Not sleeping", "Cancelling plans with friends"],
        "coping_strategies": ["a walk by the river", "the 5-4-3-2-1 grounding exercise"],
        "distractions": ["The library café", "Calling my sister about football"],
        "support_contacts": [
            {
                "name": "Jamie",
                "relationship": "friend",
                "phone": "+447700900111",
                "notes": "Evenings are best",
            },
        ],
        "environment_safety": ["Keep the evening routine; lights out by 23:00"],
        "reasons_for_hope": ["My niece's birthday in spring", "The allotment"],
        "therapist_note": "I will be thinking of our work while I'm away, and I'll see you on "
        "the date we agreed. Priya is covering if you need someone in the meantime.",
        # Robin agreed, in the session that planned the break, to both (recorded as consent).
        "escalation_enabled": True,
        "share_check_ins_with_covering": True,
    }
    brk = _live_break(client, therapist, Break.Kind.HOLIDAY, fields, at=current)
    # The checklist as it stands: two things still to do with Robin.
    checklist_update(
        brk=brk,
        actor=therapist,
        items={
            "talked_through": True,
            "safety_plan_reviewed": True,
            "escalation_discussed": True,
            "cover_arranged": True,
        },
    )
    # One more message due a minute after loading, so the demo inbox fills while you watch
    # (a coping prompt: the break's one-off messages are the schedule's own).
    services.break_prompt_add(
        brk=brk,
        category=Category.COPING,
        send_at=current + timedelta(minutes=1),
        actor=therapist,
    )
    return brk


def _demo_ending(client: Client, therapist: User) -> Break:
    """Alex's therapy ends in twelve days: the ending phase begins in two, the blueprint is
    written, two booster sessions are booked, the checklist is half done; Alex has not yet
    answered about follow-ups (My break asks)."""
    current = now().replace(second=0, microsecond=0)
    last = current + timedelta(days=12)
    fields = {
        "starts_at": current + timedelta(days=2),
        "ends_at": last,
        "notice_given_at": current - timedelta(days=42),
        "prompt_times": ["09:00", "18:00"],
        "warning_signs": ["Sleeping badly for three nights running", "Dropping football"],
        "coping_strategies": ["A long walk along the canal", "Writing the worry down"],
        "support_contacts": [{"name": "Sam", "relationship": "brother", "phone": "+447700900333"}],
        "reasons_for_hope": ["The new job in March"],
        "blueprint_learned": [
            "Thoughts are not facts; they pass",
            "Asking for help early is a strength",
        ],
        "blueprint_early_signs": ["Skipping football two weeks running", "Snapping at Sam"],
        "blueprint_actions": ["Ring Sam and book a walk", "Back to the morning routine"],
        "blueprint_contacts": ["Sam (brother) 07700 900333", "GP surgery 020 7946 0000"],
        "blueprint_come_back": "Ask your GP for a new referral, or use the self-referral form "
        "on our website. A first appointment usually comes within four weeks.",
        "booster_sessions": [last + timedelta(days=42), last + timedelta(days=98)],
        "therapist_note": "It has been good to work with you, Alex.",
    }
    brk = _live_break(client, therapist, Break.Kind.ENDING, fields, at=current)
    checklist_update(
        brk=brk, actor=therapist, items={"talked_through": True, "crisis_lines_checked": True}
    )
    return brk


def _live_break(client: Client, therapist: User, kind: str, fields: dict, *, at) -> Break:
    """The client's live break of ``kind`` with ``fields``: made and activated the first
    time, updated when the demo is loaded again."""
    brk = (
        Break.objects.filter(client=client, kind=kind, status__in=Break.LIVE_STATUSES)
        .order_by("-starts_at")
        .first()
    )
    if brk is None:
        brk = services.break_create(
            therapist=therapist, client=client, actor=therapist, kind=kind, **fields
        )
        services.break_activate(brk=brk, actor=therapist, at=at)
    else:
        services.break_update(brk=brk, actor=therapist, **fields)
    return brk
