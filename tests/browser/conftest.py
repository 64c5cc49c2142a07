"""Browser tests of the public portal: Debian's Chromium driven by Playwright, against a live
server on the test database loaded with a small demo province.

- Chromium is `/usr/bin/chromium` (Debian's package; `.ci/run` installs it). Playwright never
  downloads a browser here. A missing Chromium or Playwright fails the tests with what to do:
  browser tests never skip.
- The demo province (`xinyong demo --subjects 300`) is loaded once for the whole package, and
  committed, before the first test (pytest-django's `live_server` would flush it after every
  test). Tests are marked `django_db`: each runs in a transaction rolled back at its end, so what
  a test changes (a record's publication period) is undone for the next one. The live server
  serves the test database through the test's own connection (the in-memory SQLite test
  database, as `.ci/run` uses: the server sees what the test changes before the rollback), one
  request at a time. At the end of the package the database is flushed and the catalog loaded
  again, as the rest of the suite expects to find it.
- A test that fails leaves a screenshot of its page in `var/browser-artifacts/` (not committed).
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "browser-artifacts"
DEMO_SUBJECTS = 300
DEMO_SEED = 2014
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# no background traffic, no updates, no first-run pages: the browser talks to our server only
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--mute-audio",
]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, for the screenshot taken on failure."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="package")
def chromium(django_db_setup):
    """One Chromium for the package (Debian's; never a downloaded one).

    Playwright's synchronous API keeps an event loop in the main thread, which Django takes for
    an async context: its guard is lifted while the browser runs, and only then. Django also
    opens new database connections in that context: the test database is created before."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover — the test extra is not installed
        pytest.fail("Playwright for Python is missing: .venv/bin/pip install -e '.[test]'", pytrace=False)
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's package (apt-get install -y chromium); browser tests never skip", pytrace=False)
    args = list(CHROMIUM_ARGS)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium's sandbox refuses to run as root (CI containers)
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
            yield browser
            browser.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@dataclass
class Site:
    url: str

    def at(self, path: str) -> str:
        return self.url + path


@pytest.fixture(scope="package")
def site(chromium, django_db_blocker):
    """The demo province behind a live server, for every test of the package."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.cache import cache
    from django.core.management import call_command
    from django.core.servers.basehttp import WSGIServer
    from django.db import connections
    from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler
    from django.test.utils import modify_settings

    from xinyong.catalog.services import catalog_sync
    from xinyong.common.schedule import run_due_jobs
    from xinyong.subjects.models import Subject

    class SerialServerThread(LiveServerThread):
        """One request at a time (Django closes each connection: no keep-alive to wait on)."""

        def _create_server(self, connections_override=None):
            return WSGIServer((self.host, self.port), QuietWSGIRequestHandler, allow_reuse_address=False)

    with django_db_blocker.unblock():
        shared = {c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()}
        if "default" not in shared:
            pytest.fail(
                "the browser tests serve the in-memory SQLite test database (the test's own connection, "
                "so the server sees each test's changes): run them without DATABASE_URL, as .ci/run does",
                pytrace=False,
            )
        if Subject.objects.exists():
            pytest.fail("the test database already holds subjects: the browser tests load the demo province into an empty one", pytrace=False)
        catalog_sync()  # no-op when loaded; after another test's flush it loads the catalog again
        call_command("demo", subjects=DEMO_SUBJECTS, seed=DEMO_SEED, no_progress=True, verbosity=0, stdout=io.StringIO())
        run_due_jobs()  # search index, lists: what the worker does within a minute
        cache.clear()
        thread = SerialServerThread("127.0.0.1", StaticFilesHandler, connections_override=shared)
        thread.daemon = True
        for conn in shared.values():
            conn.inc_thread_sharing()
        hosts = modify_settings(ALLOWED_HOSTS={"append": "127.0.0.1"})
        hosts.enable()
        thread.start()
        thread.is_ready.wait()
        try:
            if thread.error:
                raise thread.error
            yield Site(url=f"http://127.0.0.1:{thread.port}")
        finally:
            thread.terminate()
            for conn in shared.values():
                conn.dec_thread_sharing()
            hosts.disable()
            # leave the database as the rest of the suite expects it: empty, catalog loaded
            call_command("flush", interactive=False, verbosity=0)
            catalog_sync()
            cache.clear()


def _artifact_name(nodeid: str) -> str:
    return re.sub(r"[^\w.-]+", "_", nodeid.split("::", 1)[-1])[:120]


def _open_context(chromium, request, **options):
    context = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True, **options)
    context.set_default_timeout(15_000)
    return context


def _screenshot_on_failure(request, page) -> None:
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and not page.is_closed():
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        target = ARTIFACTS / f"{_artifact_name(request.node.nodeid)}.png"
        try:
            page.screenshot(path=str(target), full_page=True)
        except Exception as exc:  # noqa: BLE001 — a failed screenshot must not hide the failure
            print(f"screenshot failed: {exc}")
        else:
            print(f"screenshot: {target}")


@pytest.fixture
def page(chromium, site, request):
    """A fresh browser tab on a desktop screen (no cookies from other tests)."""
    context = _open_context(chromium, request, viewport=DESKTOP)
    tab = context.new_page()
    yield tab
    _screenshot_on_failure(request, tab)
    context.close()


@pytest.fixture
def phone(chromium, site, request):
    """A fresh tab on a phone: 390×844, touch, a phone's user agent."""
    context = _open_context(
        chromium,
        request,
        viewport=PHONE,
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
        user_agent="Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36",
    )
    tab = context.new_page()
    yield tab
    _screenshot_on_failure(request, tab)
    context.close()


@pytest.fixture
def page_without_js(chromium, site, request):
    """A fresh desktop tab with JavaScript off: the site must work without it."""
    context = _open_context(chromium, request, viewport=DESKTOP, java_script_enabled=False)
    tab = context.new_page()
    yield tab
    _screenshot_on_failure(request, tab)
    context.close()
