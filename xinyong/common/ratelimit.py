"""Per-client rate limits (anti-scraping, report generation): one mechanism for pages and API.

    @rate_limited("search")                      # a view: 429 page in Chinese when exceeded
    def search(request): ...

    allowed, retry_after = hit(request, "report")  # anywhere else

Limits are settings (`XINYONG["RATE_LIMITS"]`, e.g. {"search": "120/m"}: at most 120 requests a
minute per client), counted in Django's cache by a sliding window: the count of the current fixed
window plus the previous window's count weighted by the share of it still inside the last period,
so a client cannot double its rate by bursting across a window boundary. The default cache is local to a
process: with N server processes a client may get up to N times the limit; set a shared cache
(XINYONG_CACHE_URL, docs/operations.md) to count across processes. Clients are told apart by
their address (behind a reverse proxy: the address it forwards, see XINYONG_PROXY_HOPS).
"""

from __future__ import annotations

import math
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import render

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'120/m' → (120, 60)."""
    count, _, unit = rate.partition("/")
    return int(count), _UNITS[unit.strip()[:1].lower()]


def client_id(request) -> str:
    hops = settings.XINYONG.get("PROXY_HOPS", 0)
    if hops:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "unknown")


def hit(request, scope: str, *, ident: str | None = None, rate: str | None = None) -> tuple[bool, int]:
    """Count one request of this client in `scope`; (allowed, seconds until one more would be).
    `ident` counts another client than the address (an API key); `rate` overrides the setting."""
    rate = rate or settings.XINYONG["RATE_LIMITS"].get(scope)
    if not rate:
        return True, 0
    limit, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    key = f"rl:{scope}:{ident or client_id(request)}"
    current = count_up(f"{key}:{window}", timeout=2 * period + 1)
    previous = cache.get(f"{key}:{window - 1}", 0)
    into = (now - window * period) / period  # share of the current window gone, 0 ≤ into < 1
    return sliding_allowed(limit, current, previous, into), retry_seconds(limit, current, previous, into, period)


def sliding_allowed(limit: int, current: int, previous: int, into: float) -> bool:
    """Whether the request counted last in `current` is within `limit`, the previous window
    weighing by the share of it still inside the last period."""
    return current + previous * (1 - into) <= limit + 1e-9  # rounding must not refuse an exact fit


def retry_seconds(limit: int, current: int, previous: int, into: float, period: int) -> int:
    """Whole seconds until one more request would be allowed (at least 1 when refused, 0 when not)."""
    if sliding_allowed(limit, current + 1, previous, into):
        return 0
    if current + 1 > limit:  # the current window alone is full: wait for it to become the previous
        # next window: allowed when 1 + current * (1 - x) <= limit
        wait = period * (1 - into) + period * max(0.0, 1 - (limit - 1) / current)
    else:  # the previous window's weight has to fall
        wait = period * ((1 - (limit - current - 1) / previous) - into)
    return max(1, math.ceil(wait - 1e-9))  # an exact whole second is not rounded up by float error


def count_up(key: str, *, timeout: int) -> int:
    """Add one to a counter in the cache (created with `timeout` seconds to live); the new count.
    The counter mostly exists (every request of a window but its first): incr first, one cache
    operation."""
    for _ in range(2):
        try:
            return cache.incr(key)
        except ValueError:  # not there (yet, or any more): create it, unless another request just did
            if cache.add(key, 1, timeout=timeout):
                return 1
    cache.set(key, 1, timeout=timeout)  # created and expired again between the calls: count afresh
    return 1


def too_many(request, retry_after: int, *, api: bool = False):
    message = "访问过于频繁，请稍后再试"
    if api:
        response = JsonResponse({"code": "rate_limited", "message": message, "fields": {"retry_after": retry_after}}, status=429)
    else:
        response = render(request, "429.html", {"retry_after": retry_after, "message": message}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def rate_limited(scope: str, *, api: bool = False):
    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            allowed, retry_after = hit(request, scope)
            if not allowed:
                return too_many(request, retry_after, api=api)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def check_shared_cache(app_configs=None, **kwargs):
    """System check of `xinyong check --deploy`: the rate limits, the login-failure counter and
    the scraping counter count in Django's cache; one local to each process lets every server
    process count on its own (`xinyong serve` runs 2 × cores + 1 of them)."""
    from django.core import checks

    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend.endswith(("LocMemCache", "DummyCache")):
        return [
            checks.Warning(
                "限流、登录失败次数和防爬取计数保存在各服务进程自己的缓存中：有 N 个服务进程时，每个客户端、每个接口密钥实际可达上限的 N 倍。"
                "请设置 XINYONG_CACHE_URL（redis://… 或 file:///…）使各进程共用计数（docs/operations.md）。",
                id="common.W201",
            )
        ]
    return []
