"""The starter catalog covers what issue 2 names, and every item is complete: one owner system
(一数一源), a nature, a disclosure class, a legal basis, a publication rule and typed fields.
双公示 items carry the national field list (MISSION.md §13) and the 7-working-day deadline."""

from __future__ import annotations

import pytest

from xinyong.catalog.registry import DISCLOSURES, FIELD_TYPES, NATURES, SUBJECT_KINDS

# MISSION.md §13 (发改办财金〔2018〕790号 and the 2021 field list): the labels a 双公示 file carries.
PENALTY_LABELS = [
    "行政相对人名称", "行政相对人类别", "统一社会信用代码", "工商注册号", "组织机构代码", "税务登记号",
    "事业单位证书号", "社会组织登记证号", "法定代表人", "行政处罚决定书文号", "违法行为类型", "违法事实",
    "处罚依据", "处罚类别", "处罚内容", "罚款金额（万元）", "没收违法所得、没收非法财物的金额（万元）",
    "暂扣或吊销证照名称及编号", "处罚决定日期", "处罚有效期", "公示截止期", "处罚机关",
    "处罚机关统一社会信用代码", "数据来源单位", "数据来源单位统一社会信用代码", "备注",
]
LICENSING_LABELS = [
    "行政相对人名称", "行政相对人类别", "统一社会信用代码", "法定代表人", "行政许可决定文书名称",
    "行政许可决定文书号", "许可类别", "许可证书名称", "许可编号", "许可内容", "许可决定日期", "有效期自",
    "有效期至", "许可机关", "许可机关统一社会信用代码", "当前状态", "数据来源单位",
    "数据来源单位统一社会信用代码", "备注",
]


def labels(item) -> list[str]:
    return [f.label for f in item.fields]


def field_by_label(item, label):
    return next(f for f in item.fields if f.label == label)


def test_every_item_is_complete(catalog):
    assert catalog.items
    for item in catalog.items.values():
        assert item.owner in catalog.systems, item.code
        assert item.nature in NATURES and item.disclosure in DISCLOSURES, item.code
        assert item.legal_basis.strip(), item.code
        assert item.publication in catalog.rule_sets, item.code
        assert item.subject_kinds and set(item.subject_kinds) <= set(SUBJECT_KINDS), item.code
        assert item.fields and all(f.type in FIELD_TYPES and f.label for f in item.fields), item.code
        assert item.key_fields and set(item.key_fields) <= set(item.field_map), item.code
        assert {"subject_name", "decided_on"} <= set(item.roles), item.code
        # some department of the owner system, at a level the item allows, can send it
        assert any(d.system == item.owner and d.level in item.levels for d in catalog.departments.values()), item.code


@pytest.mark.parametrize(
    "code",
    [
        "registration.gsj", "registration.mzt", "registration.bb",
        "licensing.gsj", "penalty.gsj", "licensing.hbt", "penalty.hbt",
        "honour.gsj", "enforcement", "dishonest_debtor", "tax_rating", "env_rating", "stats_rating",
        "social_org_assessment", "research_misconduct", "ip_infringement", "traffic_violation",
        "fire_safety", "commitment.gsj",
    ],
)
def test_issue_2_starter_item_exists(catalog, code):
    assert code in catalog.items


def test_every_item_kind_named_by_issue_2(catalog):
    kinds = {i.kind for i in catalog.items.values()}
    assert {"registration", "licensing", "penalty", "honour", "enforcement", "dishonest_debtor", "rating", "misconduct", "violation", "commitment"} <= kinds


@pytest.mark.parametrize("family", ["penalty", "licensing"])
def test_shuanggongshi_items_have_the_national_fields_and_the_7_working_day_deadline(catalog, family):
    members = [i for i in catalog.items.values() if i.family == family]
    assert len(members) >= 20  # one per deciding system
    expected = PENALTY_LABELS if family == "penalty" else LICENSING_LABELS
    for item in members:
        missing = [label for label in expected if label not in labels(item)]
        assert not missing, f"{item.code} lacks {missing}"
        assert item.reporting_deadline_days == 7, item.code
        assert item.disclosure == "public"
    assert len({i.owner for i in members}) == len(members)  # 一数一源: one item per system


def test_penalty_details(catalog):
    item = catalog.items["penalty.gsj"]
    assert item.nature == "negative" and item.publication == "penalty"
    severity = field_by_label(item, "失信严重程度")
    assert severity.required and severity.role == "severity" and severity.choices == ("轻微", "一般", "严重")
    assert field_by_label(item, "公示截止期").role == "publication_end"
    assert field_by_label(item, "罚款金额（万元）").type == "decimal"
    assert field_by_label(item, "处罚决定日期").type == "date" and field_by_label(item, "处罚决定日期").not_future
    category = field_by_label(item, "处罚类别")
    assert category.multi and {"警告", "通报批评", "罚款", "没收违法所得", "吊销许可证件", "行政拘留"} <= set(category.choices)


def test_licensing_details(catalog):
    item = catalog.items["licensing.gsj"]
    assert item.publication == "validity"
    assert field_by_label(item, "许可类别").choices == ("普通", "特许", "认可", "核准", "登记", "其他")
    assert "长期" in field_by_label(item, "有效期至").allow


def test_individuals_id_numbers_are_sensitive_everywhere(catalog):
    for item in catalog.items.values():
        for f in item.fields:
            if f.type == "id_number" or f.role == "id_number":
                assert f.sensitive == "id_number" and not f.is_public, (item.code, f.name)


def test_tax_credit_rating_grades(catalog):
    item = catalog.items["tax_rating"]
    assert item.owner == "SW"
    assert field_by_label(item, "纳税信用级别").choices == ("A", "B", "M", "C", "D")
    # only A-grade taxpayers are published by the tax authorities; the rest is by authorized query
    assert item.disclosure == "authorized"
    assert [(dict(r.when), r.disclosure) for r in item.disclosure_rules] == [({"grade": frozenset({"A"})}, "public")]


@pytest.mark.parametrize(
    ("code", "owner", "nature", "disclosure", "publication"),
    [
        ("env_rating", "HBT", "basic", "public", "rating"),
        ("stats_rating", "TJJ", "basic", "public", "rating"),
        ("social_org_assessment", "MZT", "basic", "public", "rating"),
        ("research_misconduct", "KJT", "negative", "authorized", "individual_negative"),
        ("ip_infringement", "ZSCQ", "negative", "public", "penalty"),
        ("traffic_violation", "GAT", "negative", "authorized", "individual_negative"),
        ("fire_safety", "XF", "basic", "public", "rating"),
        ("enforcement", "FY", "warning", "public", "validity"),
        ("dishonest_debtor", "FY", "negative", "public", "court_list"),
        ("registration.gsj", "GSJ", "basic", "public", "standing"),
        ("honour.gsj", "GSJ", "positive", "public", "honour"),
        ("commitment.gsj", "GSJ", "basic", "public", "validity"),
    ],
)
def test_sector_item_classification(catalog, code, owner, nature, disclosure, publication):
    item = catalog.items[code]
    assert (item.owner, item.nature, item.disclosure, item.publication) == (owner, nature, disclosure, publication)


def test_individuals_traffic_violations_are_not_public(catalog):
    # provincial credit laws: individuals' information only through authorized queries
    item = catalog.items["traffic_violation"]
    assert item.subject_kinds == ("individual",)
    assert item.disclosure == "authorized" and not item.public_person_name


def test_court_lists_publish_names_by_law(catalog):
    assert catalog.items["dishonest_debtor"].public_person_name
    assert field_by_label(catalog.items["dishonest_debtor"], "被执行人的履行情况").choices == ("全部未履行", "部分未履行")


def test_commitment_fields_follow_the_2019_guideline(catalog):
    item = catalog.items["commitment.gsj"]
    assert field_by_label(item, "承诺编码").type == "commitment_code"
    assert set(field_by_label(item, "承诺类型").choices) == {"审批替代型", "容缺受理型", "证明替代型", "信用修复型", "行业自律型", "主动型", "其他"}
    assert {"全部履约", "部分履约", "未履约"} <= set(field_by_label(item, "履约状态").choices)
    disclosure = field_by_label(item, "公开类型")
    assert dict(disclosure.map) == {"公开": "public", "有限公开": "authorized", "不公开": "internal"}


def test_social_organization_assessment_grades(catalog):
    item = catalog.items["social_org_assessment"]
    assert field_by_label(item, "评估等级").choices == ("1A", "2A", "3A", "4A", "5A")
    assert item.subject_kinds == ("social_organization",)


def test_registration_items_keep_the_subject_status(catalog):
    for code in ("registration.gsj", "registration.mzt", "registration.bb"):
        item = catalog.items[code]
        assert item.kind == "registration" and "subject_status" in item.roles
        assert item.key_fields == ("uscc",)
