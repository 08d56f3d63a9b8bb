"""Validate the crisis-resource table: one line per problem on stderr and exit 1, or OK."""

from __future__ import annotations

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from planner.crisis import load_crisis_resources, practice_row_problems
from planner.models import PracticeCrisisResource
from planner.schedule.library import LibraryError


class Command(BaseCommand):
    help = (
        "Check the crisis-resource file (E.164 or local short-code numbers, required fields, "
        "no duplicates) and, with --practices, the practices' own services in the database."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--path",
            default=str(Path(settings.BASE_DIR) / "seeds" / "crisis_resources.json"),
            help="the JSON file to check (default: seeds/crisis_resources.json)",
        )
        parser.add_argument(
            "--practices",
            action="store_true",
            help="also check every practice's own crisis services in the database",
        )

    def handle(self, *args, path: str, practices: bool, **options) -> None:
        problems: list[str] = []
        data: dict = {}
        try:
            data = load_crisis_resources(path)
        except LibraryError as exc:
            problems.extend(exc.problems)
        extra_services = 0
        if practices:
            practice_problems, extra_services = _practice_problems()
            problems.extend(practice_problems)
        if problems:
            for line in problems:
                self.stderr.write(line)
            # Not CommandError: that prints one message, and we owe one line per problem.
            sys.exit(1)
        countries = data.get("countries", {})
        services = sum(len(block.get("resources", [])) for block in countries.values())
        line = f"crisis resources OK: {len(countries)} countries, {services} services"
        if practices:
            line += f", {extra_services} practice services"
        self.stdout.write(line)


def _practice_problems() -> tuple[list[str], int]:
    problems: list[str] = []
    seen: dict[tuple[int, str, str], int] = {}
    rows = PracticeCrisisResource.objects.order_by("practice_id", "country", "id")
    count = 0
    for row in rows:
        count += 1
        problems.extend(practice_row_problems(row))
        key = (row.practice_id, row.country, " ".join(row.name.casefold().split()))
        if key in seen:
            problems.append(
                f"practice {row.practice_id} {row.country} resource {row.pk}: "
                f"duplicate name {row.name!r} (same as resource {seen[key]})"
            )
        else:
            seen[key] = row.pk
    return problems, count
