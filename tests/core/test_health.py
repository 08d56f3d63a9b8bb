"""/healthz: JSON with the database and the broker; 503 when the broker is down."""

from __future__ import annotations


def test_it_reports_health_as_json(client, db):
    response = client.get("/healthz")
    assert response.status_code in (200, 503)
    body = response.json()
    assert body["database"] == "ok"
    assert set(body) == {"status", "database", "broker"}


def test_it_answers_503_when_the_broker_is_down(client, db):
    from core.celery import app

    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = old
    assert response.status_code == 503
    assert response.json()["broker"] == "unreachable"
