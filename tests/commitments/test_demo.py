"""The demo province's commitments: a few signed (portal and paper) and one breach; a second call
adds nothing."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from xinyong.commitments.demo import PLAN, demo_commitments_ensure
from xinyong.commitments.models import Commitment

from .helpers import enterprise

pytestmark = pytest.mark.django_db


def test_demo_commitments(time_machine):
    time_machine.move_to(datetime(2026, 11, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    for n in range(len(PLAN)):
        enterprise(f"演示承诺企业{n}有限公司", region=["220102", "220202", "220302", "220402", "220502"][n])
    assert demo_commitments_ensure() == {"signed": len(PLAN), "breached": 1}
    assert set(Commitment.objects.values_list("door", flat=True)) == {"portal", "department"}
    breached = Commitment.objects.get(status="breached")
    assert breached.breach_record.item_code.startswith("commitment_breach.") and breached.focus_entry is not None
    assert demo_commitments_ensure() == {"signed": 0, "breached": 0}
