"""Preferences: notifications on this device, asked for only after the client's click.

Headless Chromium has no push service of its own, so ``PushManager.subscribe`` is replaced by
one that answers with a subscription of a local device (its keys made here); everything
else (the button, the permission prompt, the VAPID key, the POST, the list) is real.
"""

from __future__ import annotations

import json

import pytest

from planner.models import PushSubscription
from tests.push_service import Device

pytestmark = pytest.mark.e2e

STUB = """
window.__permissionAsked = 0;
const ask = Notification.requestPermission.bind(Notification);
Notification.requestPermission = () => { window.__permissionAsked += 1; return ask(); };
PushManager.prototype.subscribe = async function (options) {
  const key = options.applicationServerKey;
  if (key.byteLength !== 65 || !options.userVisibleOnly) throw new Error('bad options');
  const subscription = %s;
  return { toJSON: () => subscription };
};
"""


def test_a_client_turns_notifications_on_for_this_device(journey, client_login):
    device = Device(name="e2e", endpoint="https://fcm.googleapis.com/fcm/send/e2e-device")
    page = journey.page
    page.context.grant_permissions(["notifications"])
    page.add_init_script(STUB % json.dumps(device.subscription_json()))
    journey.login("robin@example.com")
    journey.go("/me/preferences/")
    journey.check("preferences with notifications")
    assert page.evaluate("window.__permissionAsked") == 0  # never on page load
    assert page.get_by_text("No device gets notifications yet.").is_visible()

    page.get_by_role("button", name="Turn on notifications on this device").click()
    page.get_by_text("Chrome / Android, since").wait_for()
    subscription = PushSubscription.objects.get(client=client_login)
    assert (subscription.endpoint, subscription.p256dh) == (device.endpoint, device.p256dh)
    assert subscription.consent.granted

    page.get_by_role("button", name="Remove").click()
    page.get_by_text("That device gets no more notifications").wait_for()
    assert not PushSubscription.objects.exists()
