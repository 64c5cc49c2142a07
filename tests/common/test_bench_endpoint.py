"""The benchmark-only endpoints (/bench/bare, the check's floors) are not served unless
XINYONG_BENCH_ENDPOINTS is set."""

import json

import pytest

pytestmark = pytest.mark.django_db


def test_bench_endpoints_are_not_served_by_default(client):
    assert client.get("/bench/bare").status_code == 404
    assert client.post("/bench/floor/read", data="{}", content_type="application/json").status_code == 404
    assert client.post("/bench/floor/write", data="{}", content_type="application/json").status_code == 404


def test_bare_endpoint_when_enabled(client, bench_endpoints):
    response = client.get("/bench/bare")
    assert response.status_code == 200
    assert json.loads(response.content) == {"ok": True, "service": "xinyong"}
    assert client.post("/bench/bare").status_code == 405


def test_unmounted_again_after_the_test(client):
    assert client.get("/bench/bare").status_code == 404


def test_production_settings_never_mount_them_and_have_debug_off(tmp_path):
    """Whatever the environment says: /bench/floor/write writes audit rows without a signature."""
    import os
    import subprocess
    import sys

    code = "import xinyong.settings.production as p; print(p.DEBUG, p.XINYONG['BENCH_ENDPOINTS'])"
    # keys made for the occasion in an empty folder (production makes none unless told)
    env = {**os.environ, "XINYONG_BENCH_ENDPOINTS": "1", "XINYONG_DEBUG": "1", "XINYONG_VAR_DIR": str(tmp_path), "XINYONG_GENERATE_KEYS": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]
