"""The request log of the department systems' API: one `ApiRequest` per request to a
key-authenticated operation, accepted or refused, with the machine reason (the error `code`)."""

from __future__ import annotations

import json
import logging

from django.utils import timezone

from .chain import clean_ip
from .models import ApiRequest

log = logging.getLogger("xinyong.api")


class ApiRequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        info = getattr(request, "_xy_api", None)
        if info is not None:
            try:
                record(request, response, info)
            except Exception:  # noqa: BLE001 — the log must never break the answer; logged
                log.exception("api request log failed", extra={"path": request.path})
        return response


def _code(response, info: dict) -> str:
    if info.get("code"):
        return info["code"]
    if response.status_code < 400 or response.get("Content-Type", "").split(";")[0] != "application/json":
        return ""
    try:
        return str(json.loads(response.content).get("code", ""))[:40]
    except (ValueError, AttributeError):
        return ""


def record(request, response, info: dict) -> ApiRequest:
    key = info.get("key")
    return ApiRequest.objects.create(
        at=timezone.now(),
        key=key,
        key_label=(key.key_id if key else info.get("key_label", ""))[:40],
        department_id=key.department_id if key else None,
        method=(request.method or "")[:10],
        path=request.get_full_path()[:300],
        status=response.status_code,
        code=_code(response, info),
        auth=info.get("auth", "none"),
        ip=clean_ip(request.META.get("REMOTE_ADDR")),
    )
