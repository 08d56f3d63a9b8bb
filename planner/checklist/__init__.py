"""The pre-break checklist: what a careful therapist goes through with the client before a
break or an ending. Reminders on the dashboard as the break approaches, never blockers."""
