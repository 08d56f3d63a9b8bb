"""Print a new VAPID key pair for Web Push, as environment variables; or, with ``--embedded``,
make the embedded default's pair under var/ once (``make run`` does)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from planner.phone.vapid import ensure_key_file, new_pair


class Command(BaseCommand):
    help = "Print a new VAPID key pair (VAPID_PRIVATE_KEY, VAPID_PUBLIC_KEY) for Web Push."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--embedded",
            action="store_true",
            help="Make the pair under var/ used when VAPID_* is not set (once; prints nothing "
            "secret).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["embedded"]:
            if settings.VAPID_PRIVATE_KEY or not settings.VAPID_KEY_FILE:
                self.stdout.write("VAPID keys come from the environment; nothing to make.")
                return
            made = ensure_key_file(Path(settings.VAPID_KEY_FILE))
            where = Path(settings.VAPID_KEY_FILE).name
            self.stdout.write(f"Made a VAPID pair in var/{where}." if made else "VAPID pair kept.")
            return
        private, public = new_pair()
        self.stdout.write(f"VAPID_PRIVATE_KEY={private}")
        self.stdout.write(f"VAPID_PUBLIC_KEY={public}")
        self.stdout.write("# and VAPID_SUBJECT=mailto:<an address the push services may write to>")
