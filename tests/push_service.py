"""A local fake Web Push service (an HTTP server in a thread) that decrypts what it gets.

Each device is a browser's side of a subscription: its own P-256 key pair and auth secret,
and an endpoint on the fake service. The service answers each POST with the next status it
was told for that device (201 when told nothing), decrypts the aes128gcm body with the
device's private key (RFC 8291, http_ece) and keeps the notification it read, as a browser
would show it.
"""

from __future__ import annotations

import json
import os
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from planner.phone.vapid import b64url


@dataclass
class Device:
    name: str
    endpoint: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        raw = self.key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return b64url(raw)

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)

    def subscription_json(self) -> dict:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class FakePushService:
    def __init__(self) -> None:
        self.devices: dict[str, Device] = {}
        self.answers: dict[str, deque[int]] = defaultdict(deque)
        self.shown: dict[str, list[dict]] = defaultdict(list)  # decrypted, per device
        self.requests: list[tuple[str, int, dict[str, str]]] = []  # (device, status, headers)
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                name = self.path.rsplit("/", 1)[-1]
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = service.answers[name].popleft() if service.answers[name] else 201
                service.requests.append(
                    (name, status, {k.lower(): v for k, v in self.headers.items()})
                )
                device = service.devices.get(name)
                if status == 201 and device is not None:
                    plain = http_ece.decrypt(
                        body,
                        private_key=device.key,
                        auth_secret=device.auth_secret,
                        version=self.headers.get("Content-Encoding", "aes128gcm"),
                    )
                    service.shown[name].append(json.loads(plain))
                self.send_response(status)
                if status == 201:
                    self.send_header("Location", f"/messages/{len(service.requests)}")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakePushService:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def device(self, name: str) -> Device:
        device = Device(name=name, endpoint=f"{self.url}/push/{name}")
        self.devices[name] = device
        return device

    def answer(self, name: str, *statuses: int) -> None:
        self.answers[name].extend(statuses)
