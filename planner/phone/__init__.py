"""The phone app: installable (manifest, service worker), My break offline, Web Push devices."""
