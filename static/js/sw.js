// Between's service worker (served at /sw.js by planner/phone/views.py, which puts
// self.BETWEEN in front: the icon's URL and the offline copy's header).
//
// - My break is kept for offline use only when its answer carries the offline header (the
//   client's own page); nothing else a person sees is ever kept. Static files and the
//   offline page (no personal data) are kept too.
// - Offline, My break opens from the saved copy, marked as such; any other page shows the
//   offline page.
// - Logging out (the POST to /logout/) deletes the saved copy before the request goes on.
// - A push message shows a notification; a click opens the message in Between.
"use strict";

var CONFIG = self.BETWEEN || {};
var STATIC_CACHE = "between-static-v1";
var SAVED_CACHE = "between-saved-v1";
var OFFLINE_URL = CONFIG.offlineUrl || "/offline/";
var SAVED_URL = CONFIG.savedUrl || "/me/";
var HEADER = CONFIG.header || "X-Between-Offline";
var HEADER_VALUE = CONFIG.headerValue || "client-copy";

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(STATIC_CACHE)
      .then(function (cache) { return cache.add(new Request(OFFLINE_URL, { credentials: "omit" })); })
      .catch(function () {})
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("between-") === 0 && name !== STATIC_CACHE && name !== SAVED_CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function mayKeep(response) {
  return response && response.ok && !response.redirected &&
    response.headers.get(HEADER) === HEADER_VALUE;
}

function keepOrForget(response) {
  if (mayKeep(response)) {
    var copy = response.clone();
    return caches.open(SAVED_CACHE).then(function (cache) {
      return cache.put(SAVED_URL, copy);
    }).then(function () { return true; });
  }
  // Logged out, someone else, or not a client: this device keeps no copy.
  return caches.delete(SAVED_CACHE).then(function () { return false; });
}

function savedCopy() {
  return caches.open(SAVED_CACHE).then(function (cache) {
    return cache.match(SAVED_URL);
  }).then(function (saved) {
    if (!saved) return null;
    return saved.text().then(function (html) {
      // The page marks itself as the saved copy (its banner shows the time it was saved).
      var marked = html.replace('data-copy="live"', 'data-copy="saved"');
      var headers = new Headers(saved.headers);
      headers.delete("Content-Length");
      return new Response(marked, { status: 200, headers: headers });
    });
  });
}

function offlinePage() {
  return caches.match(OFFLINE_URL, { cacheName: STATIC_CACHE }).then(function (page) {
    return page || new Response("You are offline.", {
      status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" }
    });
  });
}

function navigate(request) {
  var path = new URL(request.url).pathname;
  return fetch(request).then(function (response) {
    if (path === SAVED_URL) {
      return keepOrForget(response).then(function () { return response; });
    }
    return response;
  }).catch(function () {
    if (path === SAVED_URL || path === "/") {
      return savedCopy().then(function (copy) { return copy || offlinePage(); });
    }
    return offlinePage();
  });
}

function staticFile(request) {
  return fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(STATIC_CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request, { cacheName: STATIC_CACHE }).then(function (hit) {
      return hit || Response.error();
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === "/logout/") {
    // The copy goes before the logout does: a phone may be shared.
    event.respondWith(caches.delete(SAVED_CACHE).then(function () { return fetch(request); }));
    return;
  }
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    event.respondWith(navigate(request));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(staticFile(request));
  }
});

// The page asks for a copy after its first load (before this worker controlled it).
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "save-my-break") return;
  var reply = event.ports && event.ports[0];
  var assets = (data.assets || []).filter(function (u) { return u.indexOf("/static/") === 0; });
  event.waitUntil(
    Promise.all([
      fetch(SAVED_URL, { credentials: "same-origin" }).then(keepOrForget),
      caches.open(STATIC_CACHE).then(function (cache) {
        return cache.addAll(assets.concat([OFFLINE_URL]));
      }).catch(function () {})
    ]).then(function (results) {
      if (reply) reply.postMessage({ saved: results[0] });
    }).catch(function () {
      if (reply) reply.postMessage({ saved: false });
    })
  );
});

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  event.waitUntil(self.registration.showNotification(data.title || "Between", {
    body: data.body || "You have a new message in Between.",
    tag: data.tag || "between",
    icon: CONFIG.icon,
    data: { url: data.url || "/me/inbox/" }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = new URL((event.notification.data || {}).url || "/me/inbox/", self.location.origin);
  if (target.origin !== self.location.origin) target = new URL("/me/inbox/", self.location.origin);
  event.waitUntil(self.clients.openWindow(target.href));
});
