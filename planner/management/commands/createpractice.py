"""Start a practice on a new installation: the practice and an invitation for its first staff
member, whose link is printed (no email is needed, and no Django admin)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core.models import Practice, User
from planner.breaks import places
from planner.breaks.validation import check_country, check_timezone
from planner.onboarding import services


class Command(BaseCommand):
    help = (
        "Create a practice and invite its first staff member; prints their invitation link "
        "(valid INVITATION_DAYS days)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="The practice's name.")
        parser.add_argument("--staff-email", required=True, help="Who runs the practice.")
        parser.add_argument("--country", default="GB", help="ISO 3166 code (default GB).")
        parser.add_argument("--timezone", default="", help="IANA name (default: the country's).")
        parser.add_argument("--staff-first-name", default="")
        parser.add_argument("--staff-last-name", default="")

    def handle(self, *args: object, **options: str) -> None:
        name = options["name"].strip()
        if not name:
            raise CommandError("Give the practice a name (--name).")
        if Practice.objects.filter(name__iexact=name).exists():
            raise CommandError(f"A practice named {name!r} exists already.")
        try:
            country = check_country(options["country"])
            zone = check_timezone(options["timezone"] or places.default_timezone(country) or "")
        except ValidationError as error:
            raise CommandError(" ".join(error.messages))
        with transaction.atomic():
            practice = Practice.objects.create(name=name, country=country, timezone=zone)
            try:
                invitation = services.invitation_member_send(
                    practice=practice,
                    actor=None,
                    email=options["staff_email"],
                    role=User.Role.STAFF,
                    first_name=options["staff_first_name"],
                    last_name=options["staff_last_name"],
                    send=False,
                )
            except ValidationError as error:
                raise CommandError(" ".join(error.messages))
            token = services.invitation_mint(invitation=invitation)
        self.stdout.write(self.style.SUCCESS(f"Practice {name!r} created ({country}, {zone})."))
        self.stdout.write(
            f"Invitation for {invitation.email} (staff), valid until "
            f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC. Open it to set a password:"
        )
        self.stdout.write(services.invitation_url(token))
