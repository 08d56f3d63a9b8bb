"""factory_boy factories for the plain rows the tests need.

Every default is fixed (no Faker values), so a test reads the same data on every run: a client
is Robin, a user's email is ``<role><n>@example.com``, a password is PASSWORD. Dates and times
are taken from the clock when the row is built, so a test that freezes time (time_machine) gets
rows made at its frozen moment. Where a test means to go through the services (consent records,
audit events, prompts planned by activation) it still calls them: these factories write rows
directly, as the tests' own ``Model.objects.create`` calls did.
"""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils.timezone import now as current_time
from factory.django import DjangoModelFactory

from core.models import Practice, User
from planner.models import (
    Break,
    BreakReview,
    CheckIn,
    Client,
    Delivery,
    Escalation,
    InboxMessage,
    ScheduledPrompt,
)

PASSWORD = "a-long-test-password-1"


class PracticeFactory(DjangoModelFactory):
    class Meta:
        model = Practice

    name = "Test practice"
    country = "GB"
    timezone = "Europe/London"


class UserFactory(DjangoModelFactory):
    """A user with a usable PASSWORD, through ``User.objects.create_user``."""

    class Meta:
        model = User

    role = User.Role.THERAPIST
    email = factory.LazyAttributeSequence(lambda user, n: f"{user.role}{n}@example.com")
    first_name = factory.LazyAttribute(lambda user: str(user.role).title())
    practice = factory.SubFactory(PracticeFactory)
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.create_user(*args, **kwargs)


class TherapistFactory(UserFactory):
    role = User.Role.THERAPIST


class ClientUserFactory(UserFactory):
    """The login of a client (the ``Client`` row is ClientFactory's)."""

    role = User.Role.CLIENT


class StaffFactory(UserFactory):
    role = User.Role.STAFF
    is_staff = True


class ClientFactory(DjangoModelFactory):
    """Robin, a client of a therapist; ``with_login=True`` gives Robin a client login in the
    therapist's practice, ``contactable=True`` an email address and a phone number."""

    class Meta:
        model = Client

    class Params:
        with_login = factory.Trait(
            user=factory.SubFactory(
                ClientUserFactory,
                first_name=factory.SelfAttribute("..first_name"),
                practice=factory.SelfAttribute("..therapist.practice"),
            )
        )
        contactable = factory.Trait(
            email=factory.LazyAttribute(lambda client: f"{client.first_name.lower()}@example.com"),
            phone="+447700900123",
        )

    therapist = factory.SubFactory(TherapistFactory)
    first_name = "Robin"
    country = "GB"  # a client's country is always known: it chooses their crisis lines


class EmailClientFactory(ClientFactory):
    """Robin as the delivery tests have them: reachable by email and phone, prompts to the
    inbox and by email, local time UTC (so that a test can reason in UTC)."""

    contactable = True
    timezone = "UTC"
    channels = factory.LazyFunction(lambda: ["inbox", "email"])


class BreakFactory(DjangoModelFactory):
    """A holiday of the client's, active since a day before ``now`` (the clock by default) and
    for ten days after it, in the client's time zone."""

    class Meta:
        model = Break

    class Params:
        now = factory.LazyFunction(current_time)

    client = factory.SubFactory(ClientFactory)
    therapist = factory.SelfAttribute("client.therapist")
    kind = Break.Kind.HOLIDAY
    status = Break.Status.ACTIVE
    timezone = factory.SelfAttribute("client.timezone")
    starts_at = factory.LazyAttribute(lambda brk: brk.now - timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda brk: brk.now + timedelta(days=10))


class ScheduledPromptFactory(DjangoModelFactory):
    """A coping prompt of the break, due at ``send_at`` (the clock by default), valid three
    hours, of the break's current plan version."""

    class Meta:
        model = ScheduledPrompt

    break_obj = factory.SubFactory(BreakFactory)
    client = factory.SelfAttribute("break_obj.client")
    category = "coping"
    text = "Try the breathing exercise you chose: in for four, out for six."
    send_at = factory.LazyFunction(current_time)
    due_at = factory.SelfAttribute("send_at")
    valid_until = factory.LazyAttribute(lambda prompt: prompt.send_at + timedelta(hours=3))
    plan_version = factory.SelfAttribute("break_obj.plan_version")


class DeliveryFactory(DjangoModelFactory):
    class Meta:
        model = Delivery

    prompt = factory.SubFactory(ScheduledPromptFactory)
    channel = "email"


class InboxMessageFactory(DjangoModelFactory):
    class Meta:
        model = InboxMessage

    client = factory.SubFactory(ClientFactory)
    category = "hope"
    text = "If it helps, step outside for a few minutes today."


class CheckInFactory(DjangoModelFactory):
    class Meta:
        model = CheckIn

    client = factory.SubFactory(ClientFactory)
    distress = 5


class EscalationFactory(DjangoModelFactory):
    """An escalation of a check-in, to be acknowledged within half an hour."""

    class Meta:
        model = Escalation

    check_in = factory.SubFactory(CheckInFactory, distress=8)
    client = factory.SelfAttribute("check_in.client")
    acknowledge_by = factory.LazyFunction(lambda: current_time() + timedelta(minutes=30))


class BreakReviewFactory(DjangoModelFactory):
    class Meta:
        model = BreakReview

    break_obj = factory.SubFactory(BreakFactory)
