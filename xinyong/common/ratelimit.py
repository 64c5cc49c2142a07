"""Per-client rate limits (anti-scraping, report generation): one mechanism for pages and API.

    @rate_limited("search")                      # a view: 429 page in Chinese when exceeded
    def search(request): ...

    allowed, retry_after = hit(request, "report")  # anywhere else

Limits are settings (`XINYONG["RATE_LIMITS"]`, e.g. {"search": "120/m"}: at most 120 requests a
minute per client), counted in fixed windows in Django's cache. The default cache is local to a
process: with N server processes a client may get up to N times the limit; set a shared cache
(XINYONG_CACHE_URL, docs/operations.md) to count across processes. Clients are told apart by
their address (behind a reverse proxy: the address it forwards, see XINYONG_PROXY_HOPS).
"""

from __future__ import annotations

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
    """Count one request of this client in `scope`; (allowed, seconds until the window ends).
    `ident` counts another client than the address (an API key); `rate` overrides the setting."""
    rate = rate or settings.XINYONG["RATE_LIMITS"].get(scope)
    if not rate:
        return True, 0
    limit, period = parse_rate(rate)
    now = int(time.time())
    window = now // period
    count = count_up(f"rl:{scope}:{ident or client_id(request)}:{window}", timeout=period + 1)
    return count <= limit, (window + 1) * period - now


def count_up(key: str, *, timeout: int) -> int:
    """Add one to a counter in the cache (created with `timeout` seconds to live); the new count."""
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=timeout)
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
