"""The client's data pages (export and erasure) and the staff audit page (issue 9)."""

from __future__ import annotations

from tests.factories import PracticeFactory

# --- My data ----------------------------------------------------------------------------------


def test_the_data_page_deletes_after_the_word_and_the_password(
    client, client_with_history, django_capture_on_commit_callbacks, mailoutbox
):
    from planner.models import Client

    client.force_login(client_with_history.user)
    page = client.get("/me/data/")
    assert page.status_code == 200
    assert b"/me/data/export.json" in page.content

    wrong = client.post("/me/data/delete/", {"confirm": "delete", "password": "wrong"})
    assert wrong.status_code == 400
    body = wrong.content.decode()
    assert 'id="err_confirm"' in body and "Type the word DELETE" in body
    assert 'id="err_password"' in body and "That is not your password." in body
    assert Client.objects.get(pk=client_with_history.pk).deleted_at is None

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            "/me/data/delete/", {"confirm": "DELETE", "password": "a-long-test-password-1"}
        )
    assert done.status_code == 200
    assert "Your data was deleted" in done.content.decode()
    assert "_auth_user_id" not in client.session
    assert Client.objects.get(pk=client_with_history.pk).deleted_at is not None
    assert len(mailoutbox) == 1
    # The login no longer works.
    response = client.post(
        "/login/", {"username": "robin@example.com", "password": "a-long-test-password-1"}
    )
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


def test_the_export_download_is_an_attachment(client, client_with_history):
    client.force_login(client_with_history.user)
    response = client.get("/me/data/export.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="between-data-')
    assert response.json()["client"]["email"] == "robin@example.com"
    assert "no-store" in response["Cache-Control"]


def test_the_data_pages_are_for_clients_only(client, therapist):
    client.force_login(therapist)
    assert client.get("/me/data/").status_code == 404
    assert client.get("/me/data/export.json").status_code == 404
    assert client.post("/me/data/delete/", {"confirm": "DELETE"}).status_code == 404
    client.logout()
    assert client.get("/me/data/export.json").status_code == 302  # to the login page


def test_erasure_and_export_log_ids_only(
    log_capture, client, client_with_history, django_capture_on_commit_callbacks
):
    from tests.security_helpers import assert_no_pii_in

    client.force_login(client_with_history.user)
    client.get("/me/data/export.json")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/me/data/delete/", {"confirm": "DELETE", "password": "a-long-test-password-1"})
    assert "privacy.client_erased" in log_capture.text
    assert_no_pii_in(
        log_capture.text, "Robin", "robin@example.com", "+447700900123", "bridge", "river"
    )


# --- The audit page ---------------------------------------------------------------------------


def test_the_audit_page_is_for_staff_only(client, make_user, therapist, a_client):
    from planner.audit import record_read

    record_read(therapist, "break", 41, a_client)
    url = "/staff/audit/"
    assert client.get(url).status_code == 404
    client.force_login(therapist)
    assert client.get(url).status_code == 404
    client.force_login(make_user("staff", is_staff=True))
    response = client.get(url, {"client": a_client.pk, "action": "break.read"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "break.read" in body and "client.created" not in body
    assert therapist.email in body


def test_staff_see_only_their_practices_audit_events(client, make_user, therapist, a_client):
    elsewhere = PracticeFactory(name="Elsewhere")
    client.force_login(make_user("staff", is_staff=True, practice=elsewhere))
    response = client.get("/staff/audit/", {"client": a_client.pk})
    assert response.status_code == 200
    assert "client.created" not in response.content.decode()


def test_the_audit_page_paginates(client, make_user, therapist, a_client):
    from planner.audit import record_read

    for n in range(60):
        record_read(therapist, "break", n, a_client)
    client.force_login(make_user("staff", is_staff=True))
    first = client.get("/staff/audit/", {"action": "break.read"}).content.decode()
    second = client.get("/staff/audit/", {"action": "break.read", "page": 2}).content.decode()
    assert "Page 1 of 2" in first and "action=break.read&amp;page=2" in first
    assert "Page 2 of 2" in second
