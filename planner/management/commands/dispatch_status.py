"""`manage.py dispatch_status`: the delivery backlog and problems, as on /staff/dispatch/."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from planner.delivery.selectors import dispatch_figures
from planner.models import ChannelCircuit


class Command(BaseCommand):
    help = (
        "Paused channels, delivery backlog, oldest due age, last 24 h by status, "
        "unconfirmed/failed deliveries."
    )

    def handle(self, *args, **options) -> None:
        f = dispatch_figures()
        age = f"{int(f.oldest_due_age.total_seconds())}s" if f.oldest_due_age else "-"
        out = self.stdout.write
        paused = f.paused_channels
        out("paused channels: " + (", ".join(_paused(c) for c in paused) if paused else "none"))
        for c in f.channels:
            if c not in paused:
                out(f"  failing: {c.channel} ({c.consecutive_failures} in a row, {c.last_error})")
        out(f"backlog (due, not finished): {f.backlog}")
        out(f"oldest due age: {age}")
        out("open: " + _pairs(f.open_by_status))
        out("last 24 h: " + _pairs(f.last_24h))
        out(f"unconfirmed deliveries: {f.unconfirmed_count}")
        for d in f.unconfirmed_deliveries:
            out(f"  delivery={d.pk} prompt={d.prompt_id} channel={d.channel}")
        out(f"failed deliveries: {f.failed_count}")
        for d in f.failed_deliveries:
            out(f"  delivery={d.pk} prompt={d.prompt_id} channel={d.channel} error={d.last_error}")


def _paused(c: ChannelCircuit) -> str:
    until = c.paused_until.isoformat(timespec="seconds") if c.paused_until else "-"
    return f"{c.channel} until {until} ({c.consecutive_failures} failures in a row, {c.last_error})"


def _pairs(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "none"
