"""The installable app's pages: manifest, service worker, offline page, devices in Preferences,
and which answers a device may keep offline (My break for its own client, nothing else)."""

from __future__ import annotations

import json

import pytest
import time_machine

from planner.models import PushSubscription
from planner.phone import services as phone
from planner.phone.vapid import new_pair
from tests.factories import ClientFactory
from tests.helpers import NOW, a_break
from tests.push_service import Device


@pytest.fixture(autouse=True)
def _vapid(settings):
    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY = new_pair()


def _device(name: str) -> dict:
    d = Device(name=name, endpoint=f"https://fcm.googleapis.com/fcm/send/{name}")
    return {"endpoint": d.endpoint, "p256dh": d.p256dh, "auth": d.auth}


def test_the_manifest_makes_between_installable(client):
    answer = client.get("/manifest.webmanifest")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/manifest+json"
    manifest = json.loads(answer.content)
    assert (manifest["start_url"], manifest["display"], manifest["scope"]) == (
        "/me/",
        "standalone",
        "/",
    )
    assert manifest["name"] == manifest["short_name"] == "Between"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    from django.contrib.staticfiles import finders

    for icon in manifest["icons"]:
        path = finders.find(icon["src"].removeprefix("/static/"))
        size = int(icon["sizes"].split("x")[0])
        with open(path, "rb") as png:  # a PNG of the size it claims
            head = png.read(24)
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(head[16:20], "big") == size


def test_every_page_links_the_manifest_and_the_app_script(client):
    page = client.get("/login/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert "js/app.js" in page
    assert "<script>" not in page  # no inline script (CSP)


def test_the_service_worker_is_served_for_the_whole_site(client):
    answer = client.get("/sw.js")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/javascript")
    assert answer["Service-Worker-Allowed"] == "/"
    assert "script-src 'self'" in answer["Content-Security-Policy"]
    code = answer.content.decode()
    assert code.startswith("self.BETWEEN = {")
    assert '"header": "X-Between-Offline"' in code
    assert 'addEventListener("push"' in code and "notificationclick" in code


def test_the_offline_page_says_what_works_and_holds_nothing_personal(client, client_record):
    client.force_login(client_record.user)
    page = client.get("/offline/").content.decode()
    assert "You are offline" in page and "not an emergency service" in page
    assert client_record.first_name not in page and "Log out" not in page


def test_my_break_may_be_kept_by_its_clients_device_and_nothing_else(
    client, client_record, therapist
):
    with time_machine.travel(NOW, tick=False):
        a_break(therapist, client_record)
        client.force_login(client_record.user)
        mine = client.get("/me/")
        assert mine["X-Between-Offline"] == "client-copy"
        assert "no-store" in mine["Cache-Control"]  # never the HTTP cache
        html = mine.content.decode()
        assert 'data-copy="live"' in html
        # The banner is there for the saved copy only (the service worker marks that copy).
        assert 'class="card warning saved-copy" role="status" hidden' in html
        assert "Saved copy from Tuesday 1 December 2026, 12:00." in html
        for path in ("/me/inbox/", "/me/preferences/", "/me/check-in/", "/me/data/"):
            assert "X-Between-Offline" not in client.get(path), path
        client.force_login(therapist)
        for path in ("/", f"/clients/{client_record.pk}/"):
            answer = client.get(path)
            assert answer.status_code == 200
            assert "X-Between-Offline" not in answer and "no-store" in answer["Cache-Control"]


def test_logging_out_tells_the_browser_to_drop_its_copies(client, client_record):
    client.force_login(client_record.user)
    answer = client.post("/logout/")
    assert answer.status_code == 302
    assert answer["Clear-Site-Data"] == '"cache"'
    login = client.get(answer["Location"]).content.decode()
    assert 'data-clear-saved="yes"' in login  # app.js deletes the saved My break


def test_preferences_list_the_devices_and_one_can_be_removed(client, client_record):
    phone.push_subscribe(client=client_record, actor=None, **_device("phone"))
    client.force_login(client_record.user)
    page = client.get("/me/preferences/").content.decode()
    assert "Turn on notifications on this device" in page
    assert "Chrome / Android, since" in page
    subscription = PushSubscription.objects.get()
    answer = client.post(f"/me/devices/{subscription.pk}/remove/", follow=True)
    assert "That device gets no more notifications" in answer.content.decode()
    assert not PushSubscription.objects.exists()
    client_record.refresh_from_db()
    assert "push" not in client_record.channels


def test_preferences_say_so_when_push_is_not_set_up(client, client_record, settings):
    settings.VAPID_PRIVATE_KEY = settings.VAPID_PUBLIC_KEY = settings.VAPID_KEY_FILE = ""
    client.force_login(client_record.user)
    page = client.get("/me/preferences/").content.decode()
    assert "Notifications are not set up on this Between server" in page
    assert "Turn on notifications" not in page


def test_someone_elses_device_cannot_be_removed_from_a_page(client, client_record, therapist):
    other = ClientFactory(therapist=therapist, with_login=True)
    theirs = phone.push_subscribe(client=other, actor=None, **_device("theirs"))
    client.force_login(client_record.user)
    assert client.post(f"/me/devices/{theirs.pk}/remove/").status_code == 404
    client.force_login(therapist)
    assert client.post(f"/me/devices/{theirs.pk}/remove/").status_code == 404
    assert PushSubscription.objects.filter(pk=theirs.pk).exists()
