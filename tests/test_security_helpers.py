"""The helpers for the lead's security sweeps (tests/security_helpers.py) work."""

from __future__ import annotations

import pytest


def test_url_patterns_with_ids_finds_parameters():
    from tests.security_helpers import url_patterns_with_ids

    admin = [p for p in url_patterns_with_ids(exclude_prefixes=()) if "auditevent" in p.route]
    change = next(p for p in admin if p.name == "admin:planner_auditevent_change")
    assert change.params == {"object_id": "path"}
    assert change.url(object_id=5) == "/admin/planner/auditevent/5/change/"
    assert all(not p.route.startswith("admin/") for p in url_patterns_with_ids())


def test_assert_no_pii_in_finds_names_emails_and_phones():
    from tests.security_helpers import assert_no_pii_in

    assert_no_pii_in("client=4 event=prompt.sent", "Robin", "client@example.com", "+447700900123")
    for text in ("Hello robin", "to CLIENT@example.com", "sms to 07700 900123"):
        with pytest.raises(AssertionError):
            assert_no_pii_in(text, "Robin", "client@example.com", "+447700900123")


def test_the_log_capture_sees_every_logger(log_capture):
    import logging

    logging.getLogger("planner.anything").info("event=%s id=%s", "x.y", 3)
    assert "planner.anything event=x.y id=3" in log_capture.text
