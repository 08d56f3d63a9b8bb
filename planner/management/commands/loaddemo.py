"""Create (or refresh) the demo practice. Idempotent: running it twice gives the same data."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from planner import demo

DEMO_PASSWORD = "between-demo"  # noqa: S105 - documented demo login, refused without DEBUG


class Command(BaseCommand):
    help = "Load the demo practice, therapists, clients and a break in progress."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Run even when DEBUG is off (never in production)."
        )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "loaddemo creates known passwords; refusing with DEBUG off (use --force)."
            )
        with transaction.atomic():
            summary = demo.load(password=DEMO_PASSWORD)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        for line in summary:
            self.stdout.write(f"  {line}")
