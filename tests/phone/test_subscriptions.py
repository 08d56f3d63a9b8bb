"""Push devices: the API (key, subscribe, list, remove), the consent records, and erasure."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from planner.models import ConsentRecord, PushSubscription
from planner.phone import services as phone
from planner.phone.vapid import b64url_decode, new_pair
from planner.privacy.services import client_erase
from tests.factories import ClientFactory
from tests.push_service import Device
from tests.security_helpers import api_token

V = "/api/v1"


@pytest.fixture(autouse=True)
def _vapid(settings):
    private, public = new_pair()
    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY = private, public


def device(name: str = "a") -> Device:
    return Device(name=name, endpoint=f"https://fcm.googleapis.com/fcm/send/{name}-device")


@pytest.fixture
def api(client_record):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(client_record.user)}")
    return api


def test_the_public_key_is_served_for_the_browser(settings):
    answer = APIClient().get(f"{V}/push/vapid-public-key/")
    assert answer.status_code == 200
    key = b64url_decode(answer.json()["public_key"])
    assert len(key) == 65 and key[0] == 4  # an uncompressed P-256 point
    settings.VAPID_PRIVATE_KEY = settings.VAPID_PUBLIC_KEY = settings.VAPID_KEY_FILE = ""
    assert APIClient().get(f"{V}/push/vapid-public-key/").status_code == 404


def test_on_the_embedded_default_a_pair_is_made_once_under_var(settings, tmp_path):
    settings.VAPID_PRIVATE_KEY = settings.VAPID_PUBLIC_KEY = ""
    settings.VAPID_KEY_FILE = str(tmp_path / "vapid.json")
    first = APIClient().get(f"{V}/push/vapid-public-key/").json()["public_key"]
    again = APIClient().get(f"{V}/push/vapid-public-key/").json()["public_key"]
    assert first == again and (tmp_path / "vapid.json").exists()


def test_a_client_turns_push_on_for_a_device_with_a_consent_record(api, client_record):
    answer = api.post(f"{V}/me/push-subscriptions/", device().subscription_json(), format="json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["service"] == "Chrome / Android" and "endpoint" not in body
    subscription = PushSubscription.objects.get(pk=body["id"])
    assert subscription.client == client_record
    assert (subscription.consent.subject, subscription.consent.granted) == ("push", True)
    client_record.refresh_from_db()
    assert "push" in client_record.channels
    assert [d["id"] for d in api.get(f"{V}/me/push-subscriptions/").json()] == [body["id"]]

    # The same browser again renews it, no second device.
    again = api.post(f"{V}/me/push-subscriptions/", device().subscription_json(), format="json")
    assert again.json()["id"] == body["id"]
    assert PushSubscription.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"endpoint": "not a url"}, "endpoint"),
        ({"endpoint": "http://fcm.googleapis.com/fcm/send/x"}, "endpoint"),  # not https
        ({"endpoint": "https://attacker.example/collect"}, "endpoint"),  # not a push service
        ({"keys": {"p256dh": "AAAA", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, "p256dh"),
        ({"keys": {"p256dh": "!!!", "auth": "x"}}, "p256dh"),
        ({"keys": {"auth": "x"}}, "keys"),
        ({"keys": "nope"}, "keys"),
    ],
)
def test_a_malformed_subscription_is_a_400_with_the_field(api, change, field):
    body = {**device().subscription_json(), **change}
    answer = api.post(f"{V}/me/push-subscriptions/", body, format="json")
    assert answer.status_code == 400, answer.content
    assert field in answer.json()
    assert not PushSubscription.objects.exists()


def test_a_short_auth_secret_is_refused(api):
    body = device().subscription_json()
    body["keys"]["auth"] = "AAAA"
    answer = api.post(f"{V}/me/push-subscriptions/", body, format="json")
    assert answer.status_code == 400 and "auth" in answer.json()


def test_removing_the_last_device_switches_push_off(api, client_record):
    first = api.post(f"{V}/me/push-subscriptions/", device("a").subscription_json(), format="json")
    second = api.post(f"{V}/me/push-subscriptions/", device("b").subscription_json(), format="json")
    assert api.delete(f"{V}/me/push-subscriptions/{first.json()['id']}/").status_code == 204
    client_record.refresh_from_db()
    assert "push" in client_record.channels  # one device left
    assert api.delete(f"{V}/me/push-subscriptions/{second.json()['id']}/").status_code == 204
    client_record.refresh_from_db()
    assert "push" not in client_record.channels
    latest = ConsentRecord.objects.filter(client=client_record, subject="push").first()
    assert latest.granted is False
    assert api.delete(f"{V}/me/push-subscriptions/{second.json()['id']}/").status_code == 404


def test_someone_elses_device_is_a_404(api, therapist):
    other = ClientFactory(therapist=therapist, with_login=True)
    theirs = phone.push_subscribe(client=other, actor=None, **_fields(device("theirs")))
    assert api.delete(f"{V}/me/push-subscriptions/{theirs.pk}/").status_code == 404
    assert PushSubscription.objects.filter(pk=theirs.pk).exists()
    therapist_api = APIClient()
    therapist_api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(therapist)}")
    assert therapist_api.delete(f"{V}/me/push-subscriptions/{theirs.pk}/").status_code in (403, 404)
    assert PushSubscription.objects.filter(pk=theirs.pk).exists()


def test_a_browser_that_another_client_subscribed_becomes_theirs(client_record, therapist):
    other = ClientFactory(therapist=therapist, with_login=True)
    phone.push_subscribe(client=other, actor=None, **_fields(device("shared")))
    mine = phone.push_subscribe(client=client_record, actor=None, **_fields(device("shared")))
    assert list(PushSubscription.objects.values_list("client_id", flat=True)) == [client_record.pk]
    assert mine.client == client_record


def test_saving_preferences_keeps_push_as_the_devices_say(client_record):
    from planner.me.services import preferences_update

    phone.push_subscribe(client=client_record, actor=None, **_fields(device()))
    client_record.refresh_from_db()
    preferences_update(client=client_record, actor=client_record.user, channels=["inbox"])
    client_record.refresh_from_db()
    assert "push" in client_record.channels
    preferences_update(client=client_record, actor=client_record.user, channels=["inbox", "sms"])
    client_record.refresh_from_db()
    assert client_record.channels == ["inbox", "sms", "push"]


def test_erasure_removes_every_device(client_record):
    phone.push_subscribe(client=client_record, actor=None, **_fields(device("a")))
    phone.push_subscribe(client=client_record, actor=None, **_fields(device("b")))
    client_erase(client=client_record, actor=client_record.user)
    assert not PushSubscription.objects.exists()
    client_record.refresh_from_db()
    assert client_record.channels == ["inbox"]


def _fields(d: Device) -> dict:
    return {"endpoint": d.endpoint, "p256dh": d.p256dh, "auth": d.auth}


def test_the_export_lists_the_devices_without_their_keys(client_record):
    from planner.privacy.services import client_export

    d = device("phone")
    phone.push_subscribe(client=client_record, actor=None, **_fields(d))
    data = client_export(client=client_record, actor=client_record.user)
    [row] = data["push_devices"]
    assert (row["service"], row["endpoint"]) == ("Chrome / Android", d.endpoint)
    assert d.p256dh not in str(data) and d.auth not in str(data)
