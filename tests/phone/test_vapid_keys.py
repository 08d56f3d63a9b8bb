"""``manage.py vapid_keys``: a new pair to put in the environment; the embedded pair once."""

from __future__ import annotations

import json
from io import StringIO

from django.core.management import call_command
from py_vapid import Vapid

from planner.phone.vapid import b64url, b64url_decode


def test_it_prints_a_pair_that_signs_and_whose_public_half_matches(settings):
    out = StringIO()
    call_command("vapid_keys", stdout=out)
    lines = dict(line.split("=", 1) for line in out.getvalue().splitlines() if "=" in line)
    vapid = Vapid.from_string(lines["VAPID_PRIVATE_KEY"])
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    public = vapid.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    assert b64url(public) == lines["VAPID_PUBLIC_KEY"]
    assert len(b64url_decode(lines["VAPID_PUBLIC_KEY"])) == 65
    again = StringIO()
    call_command("vapid_keys", stdout=again)
    assert again.getvalue() != out.getvalue()  # a new pair each time


def test_embedded_makes_the_pair_once(settings, tmp_path):
    settings.VAPID_PRIVATE_KEY = settings.VAPID_PUBLIC_KEY = ""
    settings.VAPID_KEY_FILE = str(tmp_path / "vapid.json")
    call_command("vapid_keys", "--embedded", stdout=StringIO())
    first = json.loads((tmp_path / "vapid.json").read_text())
    out = StringIO()
    call_command("vapid_keys", "--embedded", stdout=out)
    assert json.loads((tmp_path / "vapid.json").read_text()) == first
    assert first["private_key"] not in out.getvalue()
    assert (tmp_path / "vapid.json").stat().st_mode & 0o077 == 0  # the owner's only
