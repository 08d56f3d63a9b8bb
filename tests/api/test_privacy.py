"""Export and erasure through the API (issue 9): /api/v1/me/export/ and /api/v1/me/erase/."""

from __future__ import annotations


def test_the_api_exports_and_erases(client_with_history, django_capture_on_commit_callbacks):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from planner.models import Client

    token = Token.objects.create(user=client_with_history.user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    export = api.get("/api/v1/me/export/")
    assert export.status_code == 200
    assert export.json()["client"]["first_name"] == "Robin"

    refused = api.post("/api/v1/me/erase/", {"confirm": "DELETE", "password": "wrong"})
    assert refused.status_code == 400
    assert "password" in refused.json()
    with django_capture_on_commit_callbacks(execute=True):
        erased = api.post(
            "/api/v1/me/erase/", {"confirm": "DELETE", "password": "a-long-test-password-1"}
        )
    assert erased.status_code == 200
    assert Client.objects.get(pk=client_with_history.pk).deleted_at is not None
    assert not Token.objects.filter(pk=token.pk).exists()
    assert api.get("/api/v1/me/export/").status_code == 401


def test_the_api_export_is_for_clients_only(therapist):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(therapist)
    assert api.get("/api/v1/me/export/").status_code == 403  # like every /me/ endpoint
