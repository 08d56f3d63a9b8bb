"""If the therapist cannot come back: their continuity plan (a "professional will"), the
colleague's call list while staff have declared an unplanned absence, the calls made, and
handing a client over when the therapist will not return."""
