from __future__ import annotations

from django.core.management import call_command


def test_it_generates_a_valid_schema_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for name in ("/api/v1/me/calendar.ics", "/api/v1/absences/", "/api/v1/coverage/"):
        assert name in text


def test_it_serves_the_schema_and_the_docs(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
