"""The in-app inbox: always on, and transactional (no provider to call).

dispatch bulk-creates what ``build`` returns in the same transaction that records the inbox
delivery as sent; the OneToOne on InboxMessage.prompt makes a second copy impossible.
"""

from __future__ import annotations

from datetime import datetime

from planner.models import InboxMessage, ScheduledPrompt


class InboxChannel:
    name = "inbox"

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def build(self, prompt: ScheduledPrompt, *, now: datetime) -> InboxMessage:
        return InboxMessage(
            client_id=prompt.client_id,
            prompt_id=prompt.pk,
            break_obj_id=prompt.break_obj_id,
            category=prompt.category,
            text=prompt.text,
            delivered_at=now,
        )

    def send(self, message):  # pragma: no cover - the inbox is written by dispatch in bulk
        raise NotImplementedError("the inbox is delivered transactionally by planner.dispatch")
