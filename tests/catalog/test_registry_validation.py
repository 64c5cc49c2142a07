"""A mistake in the catalog YAML is refused when the catalog loads, with the file, the line and a
Chinese reason, so that the maintainer who made it can find and fix it. Each test makes one
mistake in a copy of the shipped definitions."""

from __future__ import annotations

from xinyong.catalog.registry import load_catalog

from .conftest import SHIPPED


def test_the_shipped_catalog_loads():
    catalog = load_catalog(SHIPPED)
    assert len(catalog.items) >= 80
    assert catalog.credit_centre == "220000-FGW"
    assert {"penalty", "validity", "honour", "rating", "court_list", "standing"} <= set(catalog.rule_sets)
    assert "calendar.yaml" in catalog.files


def test_unknown_shared_field(catalog_copy):
    catalog_copy.edit("items/courts.yaml", "      - {name: court, label: 执行法院", "      - registered_capitol\n      - {name: court, label: 执行法院")
    file, line, reason = catalog_copy.refusal()
    assert file == "items/courts.yaml"
    assert line == catalog_copy.line_of("items/courts.yaml", "registered_capitol")
    assert "未定义的共享字段 'registered_capitol'" in reason


def test_unknown_field_group(catalog_copy):
    catalog_copy.edit("items/shuanggongshi.yaml", "      - $subject\n", "      - $subjects\n")
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("items/shuanggongshi.yaml", catalog_copy.line_of("items/shuanggongshi.yaml", "$subjects"))
    assert "未定义的字段组 '$subjects'" in reason


def test_unknown_field_in_a_group_points_into_fields_yaml(catalog_copy):
    catalog_copy.edit("fields.yaml", "  tail: [source_unit, source_unit_uscc, remarks, source_id]", "  tail: [source_unit, source_unit_uscc, remark, source_id]")
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("fields.yaml", catalog_copy.line_of("fields.yaml", "  tail: ["))
    assert "'remark'" in reason


def test_unknown_owner_system(catalog_copy):
    catalog_copy.edit("items/sectors.yaml", "    owner: SW\n", "    owner: SWJ\n")
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("items/sectors.yaml", catalog_copy.line_of("items/sectors.yaml", "owner: SWJ"))
    assert "tax_rating" in reason and "'SWJ'" in reason and "一数一源" in reason


def test_unknown_owner_in_a_family_points_at_the_owners_line(catalog_copy):
    catalog_copy.edit("items/sectors.yaml", "    owners: [FGW, GSJ, SW,", "    owners: [FGW, GSJ, XYZ, SW,")
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("items/sectors.yaml", catalog_copy.line_of("items/sectors.yaml", "XYZ"))
    assert "honour.xyz" in reason and "'XYZ'" in reason


def test_unknown_field_type(catalog_copy):
    catalog_copy.edit("items/courts.yaml", "{name: amount, label: 执行标的（元）, type: decimal", "{name: amount, label: 执行标的（元）, type: money")
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("items/courts.yaml", catalog_copy.line_of("items/courts.yaml", "type: money"))
    assert "amount" in reason and "'money'" in reason and "不受支持" in reason


def test_enum_without_choices(catalog_copy):
    catalog_copy.edit("items/courts.yaml", "type: enum, choices: [执行中, 终结本次执行, 执行完毕, 终结执行], required: true", "type: enum, required: true")
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("items/courts.yaml", catalog_copy.line_of("items/courts.yaml", "name: case_status"))
    assert "枚举字段 case_status 缺少 choices" in reason


def test_duplicate_item_code(catalog_copy):
    catalog_copy.edit("items/registration.yaml", "  - code: registration.mzt", "  - code: registration.gsj")
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("items/registration.yaml", catalog_copy.line_of("items/registration.yaml", "code: registration.gsj", occurrence=2))
    first = catalog_copy.line_of("items/registration.yaml", "code: registration.gsj")
    assert "重复的信息项编码 registration.gsj" in reason and f"items/registration.yaml:{first}" in reason


def test_item_code_that_collides_with_a_family_member(catalog_copy):
    # files load in name order: sectors.yaml defines penalty.sw first, the penalty family (one item
    # per owner, SW among them) collides with it and is reported, naming the first definition
    catalog_copy.edit("items/sectors.yaml", "  - code: tax_rating", "  - code: penalty.sw")
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("items/shuanggongshi.yaml", catalog_copy.line_of("items/shuanggongshi.yaml", "- code: penalty"))
    first = catalog_copy.line_of("items/sectors.yaml", "code: penalty.sw")
    assert "重复的信息项编码 penalty.sw" in reason and f"items/sectors.yaml:{first}" in reason


def test_duplicate_yaml_key(catalog_copy):
    catalog_copy.edit("items/sectors.yaml", "    owner: SW\n", "    owner: SW\n    owner: GSJ\n")
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("items/sectors.yaml", catalog_copy.line_of("items/sectors.yaml", "owner: GSJ"))
    assert "重复的键 'owner'" in reason


def test_yaml_merge_keys_may_be_overridden(tmp_path):
    from xinyong.common.yamlconf import load_yaml

    p = tmp_path / "x.yaml"
    p.write_text("base: &b {a: 1, b: 2}\nchild:\n  <<: *b\n  b: 3\n", encoding="utf-8")
    assert load_yaml(p)["child"] == {"a": 1, "b": 3}


def test_key_field_that_does_not_exist(catalog_copy):
    catalog_copy.edit("items/sectors.yaml", "    key_fields: [uscc, year]", "    key_fields: [uscc, yaer]")
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("items/sectors.yaml", catalog_copy.line_of("items/sectors.yaml", "key_fields: [uscc, yaer]"))
    assert "关键字段 'yaer' 不存在" in reason


def _add_rule_to_research_misconduct(catalog_copy, rule: str) -> None:
    catalog_copy.edit(
        "items/sectors.yaml",
        "    row_rules: [$subject]\n    fields:\n      - {use: subject_name, label: 当事人姓名或名称}",
        f"    row_rules:\n      - $subject\n      - {rule}\n    fields:\n      - {{use: subject_name, label: 当事人姓名或名称}}",
    )


def test_row_rule_requiring_a_missing_field(catalog_copy):
    _add_rule_to_research_misconduct(catalog_copy, "{when: {severity: [严重]}, require: [sanction_end], message: 严重的须填写处理期限}")
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("items/sectors.yaml", catalog_copy.line_of("items/sectors.yaml", "sanction_end"))
    assert "行规则引用了不存在的字段 'sanction_end'" in reason


def test_row_rule_conditioned_on_a_missing_field(catalog_copy):
    _add_rule_to_research_misconduct(catalog_copy, "{when: {gravity: [严重]}, require: [valid_until]}")
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("items/sectors.yaml", catalog_copy.line_of("items/sectors.yaml", "gravity"))
    assert "不存在的字段 'gravity'" in reason


def test_row_rule_condition_value_that_no_row_can_have(catalog_copy):
    # a typo in a condition would silently disable the rule
    _add_rule_to_research_misconduct(catalog_copy, "{when: {severity: [很严重]}, require: [valid_until]}")
    file, line, reason = catalog_copy.refusal()
    assert line == catalog_copy.line_of("items/sectors.yaml", "很严重")
    assert "'很严重'" in reason and "severity" in reason


def test_yaml_syntax_error(catalog_copy):
    catalog_copy.edit("fields.yaml", "  org_code: {label: 组织机构代码", "  org_code: label: 组织机构代码: {x")
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("fields.yaml", catalog_copy.line_of("fields.yaml", "org_code: label:"))
    assert "YAML 语法错误" in reason


def test_file_not_in_utf8(catalog_copy):
    p = catalog_copy.path("items/courts.yaml")
    p.write_bytes(p.read_text(encoding="utf-8").encode("gbk"))
    file, line, reason = catalog_copy.refusal()
    assert file == "items/courts.yaml" and line >= 1
    assert "UTF-8" in reason


def test_bad_duration(catalog_copy):
    catalog_copy.edit("publication.yaml", "一般: {min: 3M, max: 1Y}", "一般: {min: 3X, max: 1Y}")
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("publication.yaml", catalog_copy.line_of("publication.yaml", "3X"))
    assert "无法识别的期限 '3X'" in reason


def test_minimum_longer_than_maximum(catalog_copy):
    catalog_copy.edit("publication.yaml", "严重: {min: 1Y, max: 3Y}", "严重: {min: 4Y, max: 3Y}")
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("publication.yaml", catalog_copy.line_of("publication.yaml", "min: 4Y"))
    assert "最短公示期 4Y 长于最长公示期 3Y" in reason


def test_minimum_longer_than_maximum_only_at_a_month_end(catalog_copy):
    # 30 days exceed one month only after 28 February; still refused
    catalog_copy.edit("publication.yaml", "default: {max: 3Y}", "default: {min: 30D, max: 1M}")
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("publication.yaml", catalog_copy.line_of("publication.yaml", "min: 30D"))
    assert "长于" in reason


def test_rule_that_forgets_a_severity_is_refused(catalog_copy):
    # without a period for 轻微, minor penalties would fall to the default: published forever
    catalog_copy.edit("publication.yaml", "          轻微: {publish: false}\n", "")
    file, line, reason = catalog_copy.refusal()
    # the first item using the penalty rule (IP infringement, in sectors.yaml) is reported
    assert file == "items/sectors.yaml"
    assert line == catalog_copy.line_of("items/sectors.yaml", "publication: penalty")
    assert "轻微" in reason and "2026-04-01" in reason


def test_unknown_publication_rule(catalog_copy):
    catalog_copy.edit("items/sectors.yaml", "    publication: rating\n", "    publication: ratings\n")
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("items/sectors.yaml", catalog_copy.line_of("items/sectors.yaml", "publication: ratings"))
    assert "未定义的公示规则 'ratings'" in reason


def test_reporting_deadline_must_be_a_number_of_working_days(catalog_copy):
    catalog_copy.edit("items/shuanggongshi.yaml", "reporting_deadline: {working_days: 7, from: decided_on}", "reporting_deadline: {working_days: seven, from: decided_on}")
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("items/shuanggongshi.yaml", catalog_copy.line_of("items/shuanggongshi.yaml", "working_days: seven"))
    assert "working_days" in reason


def test_region_with_a_code_outside_jilin(catalog_copy):
    catalog_copy.edit("regions.yaml", '{code: "220102", name: 南关区', '{code: "210102", name: 南关区')
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("regions.yaml", catalog_copy.line_of("regions.yaml", "210102"))
    assert "210102" in reason


def test_county_under_an_unknown_city(catalog_copy):
    catalog_copy.edit("regions.yaml", '{code: "220102", name: 南关区, level: county, parent: "220100"}', '{code: "220102", name: 南关区, level: county, parent: "220900"}')
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("regions.yaml", catalog_copy.line_of("regions.yaml", "南关区"))
    assert "220900" in reason


def test_extra_department_in_an_unknown_region(catalog_copy):
    catalog_copy.edit("departments.yaml", 'level: province, region: "220000", kind: association', 'level: province, region: "229999", kind: association')
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("departments.yaml", catalog_copy.line_of("departments.yaml", "229999"))
    assert "229999" in reason


def test_calendar_make_up_day_on_a_weekday(catalog_copy):
    # 2026-10-09 is a Friday: listing it as 调休上班 is a slip for 2026-10-10
    catalog_copy.edit("calendar.yaml", "2026-09-20, 2026-10-10]", "2026-09-20, 2026-10-09]")
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("calendar.yaml", catalog_copy.line_of("calendar.yaml", "2026-10-09]"))
    assert "2026-10-09" in reason


def test_calendar_day_both_off_and_working(catalog_copy):
    # 2026-01-03 (a Saturday) is inside the New Year holiday
    catalog_copy.edit("calendar.yaml", "work: [2026-01-04,", "work: [2026-01-03, 2026-01-04,")
    file, _, reason = catalog_copy.refusal()
    assert file == "calendar.yaml"
    assert "2026-01-03" in reason


def test_unknown_key_in_an_item(catalog_copy):
    catalog_copy.edit("items/sectors.yaml", "    owner: SW\n", "    owner: SW\n    ower: SW\n")
    file, line, reason = catalog_copy.refusal()
    assert file == "items/sectors.yaml"
    assert line == catalog_copy.line_of("items/sectors.yaml", "code: tax_rating")
    assert "ower" in reason


def test_calendar_with_an_unknown_key_in_a_year(catalog_copy):
    catalog_copy.edit("calendar.yaml", "    work: [2026-01-04,", "    workdays: [2026-01-04,")
    file, line, reason = catalog_copy.refusal()
    assert file == "calendar.yaml" and "workdays" in reason
    assert line == catalog_copy.line_of("calendar.yaml", "  2026:")


def test_off_on_yes_no_are_words_not_booleans(tmp_path):
    """YAML 1.1 reads `off:` as the boolean False; the catalog reads YAML 1.2 booleans only, so the
    calendar's `off:` lists are holidays, not a key named False."""
    from xinyong.common.yamlconf import load_yaml

    p = tmp_path / "x.yaml"
    p.write_text("off: [1]\non: yes\nflag: true\nother: False\n", encoding="utf-8")
    assert load_yaml(p) == {"off": [1], "on": "yes", "flag": True, "other": False}


def test_no_office_for_a_city_whose_counties_keep_offices(catalog_copy):
    catalog_copy.edit("departments.yaml", 'city: "{region}市场监督管理局", county: "{region}市场监督管理局"}', 'city: "{region}市场监督管理局", county: "{region}市场监督管理局", no_office: ["220100"]}')
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("departments.yaml", catalog_copy.line_of("departments.yaml", "no_office: [\"220100\"]"))
    assert "220102" in reason and "no_office" in reason


def test_an_unforeseen_slip_is_still_reported_with_file_and_line(catalog_copy):
    # disclosure_rules must be a list of rules; a bare word is a mistake no explicit check names
    catalog_copy.edit("items/sectors.yaml", "    disclosure_rules:\n      - {when: {grade: [A]}, disclosure: public, basis: 税务机关依法向社会公布A级纳税人名单}", "    disclosure_rules: public")
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("items/sectors.yaml", catalog_copy.line_of("items/sectors.yaml", "code: tax_rating"))
    assert "tax_rating" in reason


def test_required_yes_is_not_a_boolean(catalog_copy):
    catalog_copy.edit("items/courts.yaml", "{name: court, label: 执行法院, type: string, required: true", "{name: court, label: 执行法院, type: string, required: yes")
    file, line, reason = catalog_copy.refusal()
    assert (file, line) == ("items/courts.yaml", catalog_copy.line_of("items/courts.yaml", "required: yes"))
    assert "required 应为 true/false" in reason
