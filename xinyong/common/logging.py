"""Structured (JSON lines) logging."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from xinyong.common.masking import mask_id_numbers_in

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        # a request path, an exception or a driver's message may carry an ID number: never in clear
        return mask_id_numbers_in(json.dumps(payload, ensure_ascii=False, default=str))
