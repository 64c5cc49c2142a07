"""The benchmark-only endpoint (/bench/bare) is not served unless XINYONG_BENCH_ENDPOINTS is set."""

import importlib
import json

import pytest
from django.test import override_settings
from django.urls import clear_url_caches

pytestmark = pytest.mark.django_db


def _reload_urls():
    import xinyong.urls

    importlib.reload(xinyong.urls)
    clear_url_caches()


def test_bare_endpoint_is_not_served_by_default(client):
    assert client.get("/bench/bare").status_code == 404


def test_bare_endpoint_when_enabled(client, settings):
    try:
        with override_settings(XINYONG={**settings.XINYONG, "BENCH_ENDPOINTS": True}):
            _reload_urls()
            response = client.get("/bench/bare")
            assert response.status_code == 200
            assert json.loads(response.content) == {"ok": True, "service": "xinyong"}
            assert client.post("/bench/bare").status_code == 405
    finally:
        _reload_urls()
    assert client.get("/bench/bare").status_code == 404
