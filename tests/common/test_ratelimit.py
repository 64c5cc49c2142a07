"""The sliding-window rate limit: a client cannot double its rate by bursting across a window
boundary, a client within its rate is never refused, and Retry-After is a wait that works."""

from __future__ import annotations

import pytest
from django.core.cache import cache, caches
from django.test import RequestFactory
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from xinyong.common import ratelimit
from xinyong.common.ratelimit import hit, retry_seconds, sliding_allowed


@pytest.fixture
def clock(monkeypatch):
    now = {"t": 1_800_000_000.0}
    monkeypatch.setattr(ratelimit.time, "time", lambda: now["t"])
    cache.clear()
    yield now
    cache.clear()


def ask():
    return hit(RequestFactory().get("/", REMOTE_ADDR="203.0.113.9"), "t", rate="5/m")


def test_a_burst_across_a_window_boundary_is_refused(clock):
    clock["t"] = 1_800_000_000 // 60 * 60 + 59.5  # half a second before a window ends
    assert [ask()[0] for _ in range(5)] == [True] * 5
    clock["t"] += 1  # the next fixed window: a fixed-window counter would allow five more
    allowed, retry = ask()
    assert not allowed and 1 <= retry <= 60


def test_retry_after_is_a_wait_that_works(clock):
    clock["t"] = 1_800_000_000 // 60 * 60 + 10
    for _ in range(5):
        ask()
    allowed, retry = ask()
    assert not allowed
    clock["t"] += retry
    assert ask()[0]


def test_a_steady_client_within_its_rate_is_never_refused(clock):
    clock["t"] = 1_800_000_000 // 60 * 60 + 7
    for _ in range(40):  # one request every 15 s: four a minute under a limit of five
        assert ask()[0]
        clock["t"] += 15


def test_other_clients_and_scopes_count_apart(clock):
    for _ in range(5):
        ask()
    assert not ask()[0]
    other = RequestFactory().get("/", REMOTE_ADDR="198.51.100.1")
    assert hit(other, "t", rate="5/m")[0]
    assert hit(RequestFactory().get("/", REMOTE_ADDR="203.0.113.9"), "u", rate="5/m")[0]


@hsettings(max_examples=300, deadline=None)
@given(
    limit=st.integers(1, 200),
    current=st.integers(1, 400),
    previous=st.integers(0, 400),
    into=st.floats(0, 0.999),
    period=st.sampled_from([1, 60, 3600]),
)
def test_after_retry_after_seconds_of_silence_one_more_request_is_allowed(limit, current, previous, into, period):
    wait = retry_seconds(limit, current, previous, into, period)
    if sliding_allowed(limit, current + 1, previous, into):
        assert wait == 0
        return
    assert wait >= 1
    later = into + wait / period  # in windows from the start of the current one
    if later < 1:
        assert sliding_allowed(limit, current + 1, previous, later)
    elif later < 2:
        assert sliding_allowed(limit, 1, current, later - 1)
    else:
        assert sliding_allowed(limit, 1, 0, 0)
    # and not much sooner: a second less would not have done (unless the wait is the minimum)
    if wait > 1:
        sooner = into + (wait - 1) / period
        if sooner < 1:
            assert not sliding_allowed(limit, current + 1, previous, sooner)
        elif sooner < 2:
            assert not sliding_allowed(limit, 1, current, sooner - 1)


def test_the_counter_counts_from_one_again_once_it_has_expired(monkeypatch):
    from xinyong.common.ratelimit import count_up

    cache.clear()
    assert [count_up("rl:test:c", timeout=60) for _ in range(3)] == [1, 2, 3]
    cache.delete("rl:test:c")  # expired
    assert count_up("rl:test:c", timeout=60) == 1
    # created by another request between this one's incr and add: counted on that one
    backend = type(caches["default"])
    real_add = backend.add

    def add_after_another(self, key, value, timeout=None, version=None):
        real_add(self, key, 1, timeout=timeout, version=version)  # the other request's
        return real_add(self, key, value, timeout=timeout, version=version)

    cache.delete("rl:test:c")
    monkeypatch.setattr(backend, "add", add_after_another)
    assert count_up("rl:test:c", timeout=60) == 2
    cache.clear()


def test_check_deploy_warns_while_each_process_counts_on_its_own(settings, tmp_path):
    from django.core import checks

    def warned() -> bool:
        return any(m.id == "common.W201" for m in checks.run_checks(include_deployment_checks=True))

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "x"}}
    assert warned()
    assert not any(m.id == "common.W201" for m in checks.run_checks())  # only before going live: not at every command
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}}
    assert not warned()
