"""Benchmark-only endpoints, mounted only when XINYONG_BENCH_ENDPOINTS=1 (never in production).

`/bench/bare`: a plain Django view returning a small JSON, served by the same server, middleware
and settings as the portal: the baseline against which `bench/portal.py` and `bench/check.py`
measure in the same run (docs/benchmarks.md).

`/bench/floor/read` and `/bench/floor/write` (POST, a check's JSON body): the floor of a single
check (联合奖惩核查) on the database served, measured by `bench/check.py` in the same run. `read`
runs the check's first statement only (`measures.services.lookup`: the data version, the subject,
whether it has list entries or grades); `write` runs it and then writes what every check writes
before its answer leaves (a nonce of the key named in X-Xinyong-Key, a Check row, the request log
line) through the check's own closing path (`security.middleware.finish`). Neither verifies a
signature, validates the code or looks for measures: a check cannot cost less than `write`. Both
take the check's own path through the middleware (`security.middleware.ApiLeanPathMiddleware`:
the response middleware of every API answer, not the page middleware).
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import timedelta

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from xinyong.common.errors import BadRequest


@require_GET
def bare(request):
    return JsonResponse({"ok": True, "service": "xinyong"})


FLOOR_PATHS = ("/bench/floor/read", "/bench/floor/write")


@csrf_exempt
@require_POST
def floor(request, *, writes: bool):
    from xinyong.measures.loader import get_measures
    from xinyong.measures.services import check_audit, lookup
    from xinyong.security.keys import key_by_id
    from xinyong.security.middleware import finish
    from xinyong.security.signing import HEADER_KEY

    def refused(message: str, code: str, fields: dict) -> JsonResponse:  # the platform's one error shape
        exc = BadRequest(message, code=code, fields=fields)
        return JsonResponse(exc.as_dict(), status=exc.status)

    try:
        body = json.loads(request.body)
        code, case_no, matter = body["uscc"], body["case_no"], body["matter"]
    except (ValueError, KeyError, TypeError):
        return refused("请求体应为含 uscc、case_no、matter 的 JSON", "bad_request", {"body": "应为含 uscc、case_no、matter 的 JSON 对象"})
    if not all(isinstance(v, str) and 0 < len(v) <= 18 for v in (code, matter)) or not isinstance(case_no, str) or not 0 < len(case_no) <= 100:
        return refused("uscc、matter 应为1至18个字符，case_no 为1至100个字符", "bad_request", {"body": "字段类型或长度不符"})
    seq, _at, sid, _kind, _name, on_any, graded = lookup("uscc", code)
    answer = JsonResponse({"found": sid is not None, "listed_or_graded": bool(on_any or graded), "seq": seq})
    if not writes:
        return answer
    key = key_by_id(request.headers.get(HEADER_KEY, ""))
    if key is None:
        return refused(f"{HEADER_KEY} 应为已有的接口密钥标识", "unknown_key", {HEADER_KEY: "未知的接口密钥"})
    now = timezone.now()
    nonce = {"key_id": key.pk, "nonce": secrets.token_hex(16), "expires_at": now + timedelta(minutes=10)}
    write = check_audit(uuid.uuid4(), now, key, key.department_id, case_no, matter, sid, code, [], secrets.token_hex(16), seq or 0, get_measures().version)
    return finish(request, answer, {"key": key, "auth": "signed", "nonce": nonce, "writes": [write]})
