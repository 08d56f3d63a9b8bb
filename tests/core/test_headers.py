"""Headers, cookies and templates (issue 9): a CSP without inline scripts, no inline script or
style in a template, a CSRF token in every form, HTTPS only when DEBUG is off."""

from __future__ import annotations

import re


def script_src(policy: str) -> str:
    return next(part for part in policy.split(";") if part.strip().startswith("script-src"))


def test_pages_carry_a_csp_without_inline_scripts(client, make_user, client_with_history):
    pages = [("/", None), ("/login/", None), ("/me/data/", client_with_history.user)]
    pages.append(("/staff/audit/", make_user("staff", is_staff=True)))
    for url, user in pages:
        if user is not None:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        assert "'unsafe-inline'" not in script_src(policy), url
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"


def test_templates_have_no_inline_scripts_or_styles():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    for template in root.rglob("*.html"):
        if template.is_relative_to(root / "email"):
            # Email bodies are not served by us: mail clients need inline styles and the
            # page's CSP does not apply to them. Scripts are still forbidden there.
            assert "<script" not in template.read_text(), template
            continue
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert "<style" not in text, template
        assert not re.search(r"\sstyle=", text), template
        assert not re.search(r"\son[a-z]+=", text), template  # onclick= and friends


def test_every_post_form_carries_a_csrf_token():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    for template in root.rglob("*.html"):
        text = template.read_text()
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", text, re.S | re.I):
            assert "{% csrf_token %}" in form, template


def test_https_only_when_debug_is_off(db, therapist):
    from django.test import Client, override_settings

    with override_settings(
        DEBUG=False,
        SECURE_SSL_REDIRECT=True,
        SECURE_HSTS_SECONDS=31536000,
        SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
        SECURE_HSTS_PRELOAD=True,
        SESSION_COOKIE_SECURE=True,
        CSRF_COOKIE_SECURE=True,
    ):
        browser = Client()
        assert browser.get("/login/").status_code == 301  # to https
        page = browser.get("/login/", secure=True)
        hsts = page["Strict-Transport-Security"]
        assert "max-age=31536000" in hsts and "includeSubDomains" in hsts and "preload" in hsts
        assert page.cookies["csrftoken"]["secure"]
        login = browser.post(
            "/login/",
            {"username": therapist.email, "password": "a-long-test-password-1"},
            secure=True,
        )
        session = login.cookies["sessionid"]
        assert session["secure"] and session["httponly"]
        assert session["samesite"] == "Lax"
