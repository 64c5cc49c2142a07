"""The demo province's agencies: five of different types and states, one complaint open and
one closed, filed through the services; a second call adds nothing."""

from __future__ import annotations

from collections import Counter

from tests.portal.conftest import registration_row
from xinyong.agencies.demo import demo_agencies_ensure
from xinyong.agencies.models import Agency
from xinyong.cases.models import Case


def test_demo_agencies(send, uscc, clock):
    clock("2026-11-20")
    send("registration.gsj", [registration_row(uscc(), 主体名称=f"吉林省演示信用服务有限公司{i}") for i in range(6)], "220100-GSJ")
    assert demo_agencies_ensure() == {"agencies": 5, "complaints": 2}
    assert Counter(Agency.objects.values_list("status", flat=True)) == {"active": 3, "suspended": 1, "exited": 1}
    assert Counter(Agency.objects.values_list("supervisor__code", flat=True)) == {"220000-RMYH": 2, "220000-JRB": 3}
    assert Counter(Case.objects.filter(kind="complaint").values_list("state", flat=True)) == {"handling": 1, "closed": 1}
    assert demo_agencies_ensure() == {"agencies": 0, "complaints": 0}
