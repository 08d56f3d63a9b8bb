"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Where /usr/bin/chromium or node_modules/axe-core is missing the tests skip with a one-line
reason; with REQUIRE_SERVICES=1 (CI) they fail instead. The pages keep their real
Content-Security-Policy: axe-core is evaluated through the DevTools protocol (which the CSP
does not govern) rather than added as an inline <script>, and every page is checked for CSP
violations, so an inline script or style slipping into a template fails the journey.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.factories import ClientFactory, ClientUserFactory, PracticeFactory, TherapistFactory
from tests.reachability import required

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made from the
# test body (fixtures, assertions) would otherwise refuse to run.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PASSWORD = "a-long-e2e-password-1"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    if not AXE.exists():
        return f"{AXE.relative_to(ROOT)} is missing (npm ci)"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _missing()
    if reason:
        if required():
            pytest.fail(f"browser tests need {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Journey:
    """One browser page plus the checks every page of a journey gets."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.csp_violations: list[str] = []
        self.checked: list[str] = []
        page.on("console", self._console)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def go(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def login(self, email: str, password: str = PASSWORD) -> None:
        self.go("/login/")
        self.check("login")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_load_state()

    def check(self, label: str) -> None:
        """axe-core finds no serious or critical violation, and the CSP was not violated."""
        self.page.wait_for_load_state()
        self.page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
        violations = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        )
        bad = [v for v in violations if v.get("impact") in ("serious", "critical")]
        assert not bad, f"{label} ({self.page.url}): " + "; ".join(
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(str(n["target"]) for n in v["nodes"][:3])
            for v in bad
        )
        assert not self.csp_violations, f"{label}: {self.csp_violations}"
        self.checked.append(label)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def journey(browser, live_server, transactional_db):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield Journey(page, live_server.url)
    context.close()


@pytest.fixture
def mobile_journey(browser, live_server, transactional_db):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=1, is_mobile=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield Journey(page, live_server.url)
    context.close()


# --- Data ------------------------------------------------------------------------------------


@pytest.fixture
def library(transactional_db):
    # A transactional test database is flushed between tests, data migrations included.
    from planner.breaks.prompts import library_load

    library_load()


@pytest.fixture
def practice(transactional_db):
    return PracticeFactory(name="E2E practice")


@pytest.fixture
def therapist(practice):
    return TherapistFactory(
        email="therapist@example.com",
        password=PASSWORD,
        first_name="Morgan",
        last_name="Hale",
        practice=practice,
    )


@pytest.fixture
def make_client(therapist):
    """A client of the therapist with an email address (``first@example.com``) and a phone,
    quiet from 22:00 to 08:00."""

    def make(first: str, last: str = "Example", **fields):
        fields.setdefault("quiet_hours_start", time(22, 0))
        fields.setdefault("quiet_hours_end", time(8, 0))
        return ClientFactory(
            therapist=therapist, first_name=first, last_name=last, contactable=True, **fields
        )

    return make


@pytest.fixture
def client_login(make_client, practice, library):
    """Robin, a client with a login and a holiday in progress (return session in 12 days)."""
    from planner.breaks import services

    user = ClientUserFactory(
        email="robin@example.com", password=PASSWORD, first_name="Robin", practice=practice
    )
    robin = make_client("Robin", user=user)
    london = ZoneInfo("Europe/London")
    today = datetime.now(UTC).astimezone(london).date()
    back = datetime.combine(today + timedelta(days=12), time(12), london)
    brk = services.break_create(
        therapist=robin.therapist,
        client=robin,
        kind="holiday",
        starts_at=datetime.now(UTC) - timedelta(days=1),
        ends_at=back - timedelta(hours=2),
        return_session_at=back,
        warning_signs=["Not sleeping"],
        coping_strategies=["A walk by the river"],
        support_contacts=[{"name": "Jamie", "relationship": "friend", "phone": "+447700900111"}],
        covering_clinician={"name": "Priya Shah", "phone": "+447700900200"},
        therapist_note="I'll see you on the date we agreed.",
    )
    services.break_activate(brk=brk, actor=robin.therapist)
    return robin


def local_input(days: int, hour: int = 10) -> str:
    """A datetime-local value ``days`` from today in London."""
    london = ZoneInfo("Europe/London")
    day = datetime.now(UTC).astimezone(london).date() + timedelta(days=days)
    return f"{day:%Y-%m-%d}T{hour:02d}:00"
