"""The demo's subject accounts: an active enterprise account and an individual account that log
in with the published demo password and see their own files."""

from __future__ import annotations

import pytest

from xinyong.accounts.demo import (
    DEMO_ENTERPRISE_USERNAME,
    DEMO_INDIVIDUAL_USERNAME,
    demo_accounts_ensure,
)
from xinyong.accounts.models import SubjectAccount
from xinyong.demo.generator import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_demo_accounts_log_in_and_see_their_files(client, firm, person_with_file):
    company = firm(legal_rep="赵立新")
    person, _ = person_with_file(name="张三")
    printed = demo_accounts_ensure(password=DEMO_PASSWORD)
    assert [u for u, _ in printed] == [DEMO_ENTERPRISE_USERNAME, DEMO_INDIVIDUAL_USERNAME]
    assert company.uscc in printed[0][1] and "张*" in printed[1][1]
    assert SubjectAccount.objects.get(user__username=DEMO_ENTERPRISE_USERNAME).status == "active"
    assert client.post("/my/login/", {"username": DEMO_ENTERPRISE_USERNAME, "password": DEMO_PASSWORD}).status_code == 302
    assert "依规不予公示" in client.get("/my/").content.decode()
    assert client.post("/my/login/", {"username": DEMO_INDIVIDUAL_USERNAME, "password": DEMO_PASSWORD}).status_code == 302
    assert "长市监罚〔2026〕901号" in client.get("/my/").content.decode()
    # a second run keeps them and prints them again
    assert demo_accounts_ensure(password=DEMO_PASSWORD) == printed
    assert SubjectAccount.objects.count() == 2
