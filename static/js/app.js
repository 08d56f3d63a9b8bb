// The phone app (planner/phone): the service worker, the saved copy of My break, offline
// notes on forms, and turning notifications on from Preferences. No inline script anywhere.
(function () {
  "use strict";
  var SAVED_CACHE = "between-saved-v1";
  var body = document.body;

  function clearSavedCopy() {
    if (!("caches" in window)) return Promise.resolve();
    return caches.delete(SAVED_CACHE).then(function () {
      document.documentElement.setAttribute("data-saved-copy", "cleared");
    });
  }

  // The login page (after logging out, or before someone else logs in): no saved copy stays.
  if (body.getAttribute("data-clear-saved") === "yes") {
    clearSavedCopy();
  }

  function assets() {
    var urls = [];
    document.querySelectorAll("link[rel=stylesheet], script[src], link[rel=icon]").forEach(
      function (el) {
        var url = el.getAttribute("href") || el.getAttribute("src");
        if (url && url.indexOf("/static/") === 0) urls.push(url);
      }
    );
    return urls;
  }

  function askToSave(worker) {
    var channel = new MessageChannel();
    channel.port1.onmessage = function (event) {
      document.documentElement.setAttribute(
        "data-saved-copy", event.data && event.data.saved ? "saved" : "not-saved"
      );
    };
    worker.postMessage({ type: "save-my-break", assets: assets() }, [channel.port2]);
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
      if (body.getAttribute("data-offline-save") === "my-break" &&
          body.getAttribute("data-copy") === "live") {
        navigator.serviceWorker.ready.then(function (registration) {
          if (registration.active) askToSave(registration.active);
        });
      }
    }).catch(function () { /* no offline copy on this browser; the site works as before */ });
  }

  // Forms cannot work offline: say so next to each, and keep their buttons from pretending.
  var NOTE = "You are offline: this cannot be sent until you are connected again.";
  function markForms(offline) {
    document.querySelectorAll("main form").forEach(function (form) {
      var note = form.querySelector(".offline-note");
      if (offline && !note) {
        note = document.createElement("p");
        note.className = "offline-note";
        note.setAttribute("role", "status");
        note.textContent = NOTE;
        form.insertBefore(note, form.firstChild);
      } else if (!offline && note) {
        note.remove();
      }
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) {
        b.disabled = offline;
      });
    });
  }
  var savedCopy = body.getAttribute("data-copy") === "saved";
  if (savedCopy || !navigator.onLine) markForms(true);
  window.addEventListener("offline", function () { markForms(true); });
  window.addEventListener("online", function () { if (!savedCopy) markForms(false); });

  // Preferences: notifications on this device, asked for only after the button is pressed.
  var toggle = document.querySelector(".push-toggle");
  if (!toggle) return;
  var button = document.getElementById("push-on");
  var status = document.getElementById("push-status");
  var supported = "serviceWorker" in navigator && "PushManager" in window &&
    "Notification" in window;
  if (!supported) {
    status.textContent = "This browser cannot show notifications from Between.";
    return;
  }
  if (Notification.permission === "denied") {
    status.textContent = "Notifications are blocked for Between in this browser's settings.";
  }
  button.hidden = false;

  function keyBytes(base64url) {
    var text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/") +
      "====".slice((base64url.length % 4) || 4));
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }

  button.addEventListener("click", function () {
    var csrf = toggle.querySelector("input[name=csrfmiddlewaretoken]").value;
    button.disabled = true;
    status.textContent = "Asking your browser…";
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") throw new Error("denied");
      return Promise.all([
        navigator.serviceWorker.ready,
        fetch(toggle.getAttribute("data-push-key-url"), { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
      ]);
    }).then(function (both) {
      return both[0].pushManager.subscribe({
        userVisibleOnly: true, applicationServerKey: keyBytes(both[1].public_key)
      });
    }).then(function (subscription) {
      return fetch(toggle.getAttribute("data-push-subscribe-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(subscription.toJSON())
      });
    }).then(function (response) {
      if (!response.ok) throw new Error("refused");
      window.location.reload();
    }).catch(function (error) {
      button.disabled = false;
      status.textContent = error && error.message === "denied"
        ? "Notifications were not allowed; nothing was turned on."
        : "Notifications could not be turned on on this device.";
    });
  });
})();
