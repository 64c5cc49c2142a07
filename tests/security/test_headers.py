"""Security headers and the Content-Security-Policy (docs/security.md, "People"): every page of
the demo province, as a visitor and as each kind of staff user, carries them; no page and no
template holds inline script, inline style or event-handler attributes, so the policy
(no 'unsafe-inline') stays true."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from xinyong.demo.generator import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def expected_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": settings.XINYONG["HEADERS"]["CSP"],
        "Permissions-Policy": settings.XINYONG["HEADERS"]["PERMISSIONS_POLICY"],
        "Cross-Origin-Opener-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }


class InlineFinder(HTMLParser):
    """Inline script (a <script> without src that is not data), <style> elements, style="" and
    on*="" attributes: what a CSP without 'unsafe-inline' blocks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {k.lower(): v for k, v in attrs}
        if tag == "script" and "src" not in names and (names.get("type") or "").lower() not in ("application/json", "application/ld+json"):
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        for name in names:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")


def inline_in(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    return finder.found


def test_csp_forbids_inline_script_and_style_and_framing():
    csp = settings.XINYONG["HEADERS"]["CSP"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_templates_have_no_inline_script_style_or_handlers():
    offenders = []
    for path in sorted((ROOT / "xinyong").rglob("templates/**/*.html")):
        text = path.read_text(encoding="utf-8")
        for lineno, line in enumerate(text.splitlines(), 1):
            if re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", line, re.I) or re.search(r"<style\b", line, re.I):
                offenders.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()[:80]}")
            if re.search(r"\s(style|on[a-z]+)\s*=\s*[\"']", line, re.I):
                offenders.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()[:80]}")
    # markup written in Python (admin read-only fields, format_html)
    for path in sorted((ROOT / "xinyong").rglob("*.py")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"<[a-z]+[^>]*\s(style|on[a-z]+)\s*=\s*[\"']", line, re.I) or "<script>" in line:
                offenders.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()[:80]}")
    assert not offenders, "inline script/style/handlers (blocked by the CSP; use a static file or a class):\n" + "\n".join(offenders)


def test_the_inline_finder_finds_what_the_csp_blocks():
    assert inline_in('<p style="color:red" onclick="x()">a</p><script>alert(1)</script><style>p{}</style>') == [
        "<p style=…>", "<p onclick=…>", "<script> without src", "<style>"
    ]
    assert inline_in('<script src="/static/a.js"></script><script type="application/json">{}</script><svg><rect fill="#fff"/></svg>') == []


# ---------------------------------------------------------------------- every page of the demo
@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("demo", "--subjects", "100", "--seed", "15", "--as-of", timezone.localdate().isoformat(), "--no-progress", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


def plain_urls() -> list[str]:
    """Every URL of the project without arguments (the API's JSON excepted)."""
    out = []

    def walk(resolver, prefix: str):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                walk(p, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if "<" not in route and "(?P" not in route and not route.startswith(("^", "api/")):
                    out.append("/" + route.lstrip("^").rstrip("$"))

    walk(get_resolver(), "")
    return sorted(set(out))


def demo_urls() -> list[str]:
    from xinyong.subjects.models import Subject

    firm = Subject.objects.filter(kind="enterprise", uscc__isnull=False).order_by("id").first()
    person = Subject.objects.filter(kind="individual").order_by("id").first()
    return [*plain_urls(), f"/subjects/{firm.uscc}/", f"/subjects/p/{person.public_id}/", "/api/docs", "/no-such-page/"]


def test_public_pages_may_be_cached_and_private_ones_never(db):
    client = Client()
    assert "no-store" not in client.get("/").get("Cache-Control", "")  # the portal's public pages
    for url in ("/dept/", "/my/", "/api/v1/catalog/items"):
        assert "no-store" in client.get(url).get("Cache-Control", ""), url


@pytest.mark.slow
@pytest.mark.parametrize("who", [None, "admin", "changchun-gsj"])
def test_every_page_carries_the_headers_and_no_inline_code(demo, db, who):
    client = Client()
    if who:
        assert client.post("/accounts/login/", {"username": who, "password": DEMO_PASSWORD}).status_code == 302
    seen = 0
    problems = []
    for url in demo_urls():
        if url.endswith(("/logout/", "logout-everywhere/")):
            continue
        response = client.get(url)
        if not response.get("Content-Type", "").startswith("text/html") or response.status_code in (301, 302):
            continue
        seen += 1
        for header, value in expected_headers().items():
            if response.get(header) != value:
                problems.append(f"{url} ({response.status_code}): {header} = {response.get(header)!r}")
        # pages of a signed-in user, and staff, account, case and API pages: never cached
        if (who or url.startswith(settings.XINYONG["HEADERS"]["NO_STORE_PATHS"])) and "no-store" not in response.get("Cache-Control", ""):
            problems.append(f"{url} ({response.status_code}): Cache-Control = {response.get('Cache-Control')!r}, not no-store")
        if response.status_code != 500:
            problems.extend(f"{url}: {found}" for found in inline_in(response.content.decode()))
        assert response.status_code != 500, url
    assert seen >= (15 if who else 10)
    assert not problems, "\n".join(problems)


def test_production_settings_send_hsts_and_require_two_factor(tmp_path):
    import subprocess
    import sys

    env = {
        "DJANGO_SETTINGS_MODULE": "xinyong.settings.production", "XINYONG_VAR_DIR": str(tmp_path), "XINYONG_SECRET_KEY": "k" * 50,
        "XINYONG_FIELD_KEYS": "dGVzdC1maWVsZC1rZXktMDEyMzQ1Njc4OWFiY2RlZmc=", "XINYONG_LOOKUP_KEY": "x", "XINYONG_AUDIT_SIGNING_KEY": "dGVzdC1hdWRpdC1zaWduaW5nLWtleS0wMTIzNDU2Nzg=",
        "PATH": "/usr/bin:/bin",
    }
    code = "import django; django.setup(); from django.conf import settings as s; print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.XINYONG['STAFF_AUTH']['TWO_FACTOR_REQUIRED'], s.XINYONG['STAFF_AUTH']['PASSWORD_MAX_AGE_DAYS'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=ROOT).stdout.split()
    assert out == ["31536000", "True", "True", "90"]
