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


def test_the_absences_answer_is_documented_as_the_plain_list_it_is(world):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    created = schema["paths"]["/api/v1/absences/"]["post"]["responses"]["201"]
    body = created["content"]["application/json"]["schema"]
    assert body == {"type": "array", "items": {"$ref": "#/components/schemas/BreakOrDeclared"}}
    answer = world.api("therapist_a").post(
        "/api/v1/absences/",
        {
            "clients": [world.client_a.pk],
            "kind": "ending",
            "starts_at": "2026-03-02T09:00:00Z",
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
    assert isinstance(answer.json(), list)
