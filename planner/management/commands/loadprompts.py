from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from planner.breaks.prompts import SHIPPED_LIBRARY, library_load
from planner.schedule.library import LibraryError


class Command(BaseCommand):
    help = "Load or refresh the shipped prompt library (seeds/prompts.json)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--path", default=str(SHIPPED_LIBRARY))

    def handle(self, *args, **options) -> None:
        try:
            created, updated = library_load(path=Path(options["path"]))
        except LibraryError as error:
            raise CommandError(f"prompt library rejected: {'; '.join(error.problems)}")
        except FileNotFoundError:
            raise CommandError(f"no prompt library at {options['path']}")
        self.stdout.write(f"prompts: {created} created, {updated} updated")
