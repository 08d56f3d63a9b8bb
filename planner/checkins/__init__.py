"""Check-ins, escalation to the covering clinician, and the after-break review."""
