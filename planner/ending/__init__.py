"""An ending's own parts: the relapse-prevention blueprint, booster sessions in the plan and
the calendar, and the client's opt-in to follow-ups after the last session."""
