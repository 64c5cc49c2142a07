"""Fixtures for subject accounts: registration through the service, organizations and
individuals with a file, and a clean rate-limit cache."""

from __future__ import annotations

import itertools

import pytest

PASSWORD = "Xinyong-portal-2026"


@pytest.fixture
def register(db):
    """register(kind, **fields) → the SubjectAccount (through accounts.services.account_register)."""
    from xinyong.accounts.services import account_register

    counter = {"n": 0}

    def run(kind: str = "individual", **kw):
        counter["n"] += 1
        kw.setdefault("name", "张三")
        kw.setdefault("mobile", "13900001234")
        kw.setdefault("username", f"user{counter['n']}")
        kw.setdefault("password", PASSWORD)
        return account_register(kind=kind, **kw)

    return run


# ---------------------------------------------------------------------- subjects with a file
@pytest.fixture
def firm(send, uscc):
    """An enterprise (legal representative 赵立新) with a public penalty, a minor penalty (never
    published) and a commitment its department does not publish."""
    from tests.portal.conftest import commitment_row, org, penalty, registration_row
    from xinyong.subjects.models import Subject

    serials = itertools.count(1)

    def make(name: str = "吉林省北辰食品有限公司", legal_rep: str = "赵立新", doc_prefix: str = "长市监罚〔2026〕") -> Subject:
        code = uscc()
        me = org(name, code, legal_rep)
        send("registration.gsj", [registration_row(code, 主体名称=name, 法定代表人=legal_rep)], "220100-GSJ")
        send(
            "penalty.gsj",
            [
                penalty(me, f"{doc_prefix}1号", 失信严重程度="一般"),
                penalty(me, f"{doc_prefix}2号", 失信严重程度="轻微", 处罚类别="警告", 处罚内容="警告", **{"罚款金额（万元）": ""}),
            ],
            "220100-GSJ",
        )
        send("commitment.gsj", [commitment_row(me, serial=f"{next(serials):06d}", 公开类型="不公开", 承诺事由="不公开的承诺事由")], "220100-GSJ")
        return Subject.objects.get(uscc=code)

    return make


@pytest.fixture
def person_with_file(send, id_number):
    """An individual (a private one: no item that publishes names) with a general penalty."""
    from tests.portal.conftest import penalty, person
    from xinyong.subjects.identifiers import id_lookup_hash
    from xinyong.subjects.models import Subject

    def make(name: str = "张三", doc: str = "长市监罚〔2026〕901号"):
        number = id_number()
        send("penalty.gsj", [penalty(person(name, number), doc, 失信严重程度="一般")], "220100-GSJ")
        return Subject.objects.get(id_hash=id_lookup_hash(number)), number

    return make
