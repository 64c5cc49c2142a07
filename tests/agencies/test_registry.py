"""The registry of credit service agencies: register → suspend → resume → exit with concrete
dates, each change audited, in the status history and in the change feed; bad input."""

from __future__ import annotations

from datetime import date

import pytest

from tests.agencies.conftest import JRB, RMYH, actor_of
from xinyong.agencies import services
from xinyong.agencies.models import Agency
from xinyong.catalog.models import Department
from xinyong.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from xinyong.records.models import ChangeEvent
from xinyong.security.models import AuditEntry


def dept(code):
    return Department.objects.get(code=code)


def test_register_suspend_resume_exit(org_subject, register, staff, clock):
    clock("2026-03-02")
    firm = org_subject("吉林省长信信用管理咨询有限公司")
    agency = register(firm, types=["credit_consulting", "credit_guarantee"], entered="2026-03-01")
    assert (agency.status, agency.status_since, agency.licence_kind) == ("active", date(2026, 3, 1), "许可")  # guarantee needs a licence
    assert agency.supervisor.code == JRB and agency.region == firm.region
    op = register.users[JRB]

    clock("2026-06-15")
    services.agency_suspend(agency_id=agency.pk, reason="未按规定报送业务统计数据，责令暂停整改", on="2026-06-12", department=dept(JRB), actor=actor_of(op))
    clock("2026-07-20")
    services.agency_resume(agency_id=agency.pk, reason="整改完成", department=dept(JRB), actor=actor_of(op))
    clock("2026-09-30")
    services.agency_exit(agency_id=agency.pk, reason="主动申请注销备案，退出信用服务市场", department=dept(JRB), actor=actor_of(op))

    agency.refresh_from_db()
    assert (agency.status, agency.exited_on, agency.status_since) == ("exited", date(2026, 9, 30), date(2026, 9, 30))
    assert agency.status_reason.startswith("主动申请注销")
    history = [(e.action, e.on, e.status) for e in agency.events.order_by("on", "id")]
    assert history == [
        ("register", date(2026, 3, 1), "active"), ("suspend", date(2026, 6, 12), "suspended"),
        ("resume", date(2026, 7, 20), "active"), ("exit", date(2026, 9, 30), "exited"),
    ]
    assert list(AuditEntry.objects.filter(object_type="agency", object_id=str(agency.pk)).order_by("seq").values_list("action", flat=True)) == [
        "agency.register", "agency.suspend", "agency.resume", "agency.exit",
    ]
    # the subject's public file changed four times: four subject events for the feed's consumers
    assert ChangeEvent.objects.filter(entity="subject", subject_id=firm.pk, op="MOD").count() >= 4

    # exit is final: no resume, no change of the registration
    with pytest.raises(Conflict, match="不能恢复业务"):
        services.agency_resume(agency_id=agency.pk, reason="再次开业", department=dept(JRB), actor=actor_of(op))
    with pytest.raises(Conflict, match="已退出市场"):
        services.agency_update(agency_id=agency.pk, licence_no="NEW-1", department=dept(JRB), actor=actor_of(op))


def test_update_lists_the_changes_and_rejects_no_change(org_subject, register, clock):
    clock("2026-04-01")
    agency = register(org_subject())
    op = register.users[JRB]
    services.agency_update(agency_id=agency.pk, licence_no="JL-XY-2026-009", key_staff="30", department=dept(JRB), actor=actor_of(op))
    agency.refresh_from_db()
    assert (agency.licence_no, agency.key_staff) == ("JL-XY-2026-009", 30)
    event = agency.events.get(action="update")
    assert event.changes == {"licence_no": "JL-XY-2026-009", "key_staff": 30} and "备案或许可编号" in event.note
    with pytest.raises(InvalidInput, match="没有需要变更"):
        services.agency_update(agency_id=agency.pk, licence_no="JL-XY-2026-009", department=dept(JRB), actor=actor_of(op))


def test_suspension_date_before_the_current_state_is_refused(org_subject, register, clock):
    clock("2026-04-01")
    agency = register(org_subject(), entered="2026-03-10")
    with pytest.raises(InvalidInput, match="不能早于"):
        services.agency_suspend(agency_id=agency.pk, reason="整改", on="2026-03-01", department=dept(JRB), actor=actor_of(register.users[JRB]))
    with pytest.raises(InvalidInput, match="不能晚于今天"):
        services.agency_suspend(agency_id=agency.pk, reason="整改", on="2026-05-01", department=dept(JRB), actor=actor_of(register.users[JRB]))


# ---------------------------------------------------------------------- bad input
def test_uscc_with_a_wrong_check_digit_names_the_right_one(org_subject, register, clock, uscc):
    clock("2026-04-01")
    code = uscc()
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(InvalidInput, match="校验位") as exc:
        services.agency_register(uscc=wrong, business_types=["credit_consulting"], licence_no="X-1", entered_on="2026-03-01", department=dept(JRB), actor=_system())
    assert f"校验位应为 {code[17]}" in exc.value.fields["uscc"]


def _system():
    from xinyong.security.services import Actor

    return Actor.system("test")


def test_unknown_subject_and_duplicate_registration(org_subject, register, clock, uscc):
    clock("2026-04-01")
    with pytest.raises(NotFound, match="平台中没有"):
        services.agency_register(uscc=uscc(), business_types=["credit_consulting"], licence_no="X-1", entered_on="2026-03-01", department=dept(JRB), actor=_system())
    firm = org_subject()
    register(firm)
    with pytest.raises(Conflict, match="已登记为信用服务机构"):
        register(firm, licence="X-2")
    assert Agency.objects.filter(subject=firm).count() == 1


def test_department_without_remit_is_refused(org_subject, clock):
    clock("2026-04-01")
    firm = org_subject()
    with pytest.raises(Forbidden, match="不负责监管"):  # market regulation supervises no agency type
        services.agency_register(uscc=firm.uscc, business_types=["credit_consulting"], licence_no="X-1", entered_on="2026-03-01", department=dept("220100-GSJ"), actor=_system())
    with pytest.raises(Forbidden, match="人民银行"):  # rating is the central bank's, not the financial office's
        services.agency_register(uscc=firm.uscc, business_types=["credit_rating"], licence_no="X-1", entered_on="2026-03-01", department=dept(JRB), actor=_system())
    agency = services.agency_register(uscc=firm.uscc, business_types=["credit_rating"], licence_no="银吉备〔2026〕1号", entered_on="2026-03-01", department=dept(RMYH), actor=_system())
    with pytest.raises(Forbidden, match="不是该机构的监管部门"):
        services.agency_suspend(agency_id=agency.pk, reason="x", department=dept(JRB), actor=_system())
    assert not Agency.objects.filter(subject=firm).exclude(supervisor__code=RMYH).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("licence_no", "JL\x00-1", "控制字符"),
        ("licence_no", "JL-1\n<script>", "控制字符或换行"),
        ("licence_no", "备" * 65, "不能超过 64 字"),
        ("licence_no", "   ", "请填写备案或许可编号"),
        ("business_types", [], "至少一项"),
        ("business_types", ["credit_consulting", "<img src=x onerror=alert(1)>"], "未知的业务类型"),
        ("entered_on", "2026-13-01", "应为日期"),
        ("entered_on", "2027-01-01", "不能晚于今天"),
        ("key_staff", "-3", "0 到"),
        ("key_staff", "十二", "整数"),
    ],
)
def test_hostile_and_malformed_input_is_refused(org_subject, clock, field, value, message):
    clock("2026-04-01")
    firm = org_subject()
    args = {"uscc": firm.uscc, "business_types": ["credit_consulting"], "licence_no": "JL-1", "entered_on": "2026-03-01", "key_staff": "5"}
    args[field] = value
    with pytest.raises(InvalidInput, match=message):
        services.agency_register(**args, department=dept(JRB), actor=_system())
    assert not Agency.objects.exists()
