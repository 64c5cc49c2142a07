"""Benchmark-only endpoints, mounted only when XINYONG_BENCH_ENDPOINTS=1 (never in production).

`/bench/bare`: a plain Django view returning a small JSON, served by the same server, middleware
and settings as the portal: the baseline against which `bench/portal.py` measures the portal's
pages in the same run (docs/benchmarks.md).
"""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def bare(request):
    return JsonResponse({"ok": True, "service": "xinyong"})
