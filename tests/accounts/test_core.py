"""The three functions other apps call: account_subject, subject_login_required, notify."""

from __future__ import annotations

import pytest
from django.core import mail
from django.http import HttpResponse
from django.test import RequestFactory

from xinyong.accounts.decorators import subject_login_required
from xinyong.accounts.selectors import account_subject
from xinyong.accounts.services import notify
from xinyong.common.masking import mask_id_number
from xinyong.subjects.identifiers import id_lookup_hash, masked_id
from xinyong.subjects.models import Subject

pytestmark = pytest.mark.django_db


def _request(user):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/my/somewhere/?x=1")
    request.user = user or AnonymousUser()
    return request


def _person(id_number: str, name: str = "张三") -> Subject:
    return Subject.objects.create(kind="individual", id_hash=id_lookup_hash(id_number), id_masked=masked_id(id_number), name=name, name_key=name)


def _company(code: str, legal_rep: str = "李四") -> Subject:
    return Subject.objects.create(kind="enterprise", uscc=code, name="长春市测试商贸有限公司", name_key="长春市测试商贸有限公司", legal_rep=legal_rep, registered=True)


@subject_login_required
def _protected(request):
    return HttpResponse(f"subject={account_subject(request)}")


def test_account_subject_for_each_kind_of_user(register, id_number, uscc, operator):
    number = id_number()
    person = _person(number)
    individual = register("individual", id_number=number)
    assert account_subject(_request(individual.user)) == person
    code = uscc()
    company = _company(code, legal_rep="王五")
    rep = register("organization", uscc=code, name="王五", id_number=id_number())
    assert account_subject(_request(rep.user)) == company
    # an authorized person whose letter is not approved yet, staff, anonymous: None
    pending = register("organization", uscc=code, name="赵六", id_number=id_number())
    assert pending.status == "pending"
    assert account_subject(_request(pending.user)) is None
    assert account_subject(_request(operator())) is None
    assert account_subject(_request(None)) is None


def test_individual_without_a_file_has_an_active_account_and_no_subject(register, id_number):
    account = register("individual", id_number=id_number())
    assert account.status == "active"
    assert account_subject(_request(account.user)) is None


def test_subject_login_required(register, id_number, operator, client):
    anonymous = _protected(_request(None))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/my/login/?next=")
    assert anonymous["Location"] == "/my/login/?next=/my/somewhere/%3Fx%3D1"
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        _protected(_request(operator()))
    number = id_number()
    _person(number)
    ok = _protected(_request(register("individual", id_number=number).user))
    assert ok.status_code == 200 and b"subject=" in ok.content


def test_staff_get_the_403_page_in_the_own_area(client, operator):
    client.force_login(operator())
    response = client.get("/my/notifications/")
    assert response.status_code == 403
    assert "工作人员账户不是主体账户" in response.content.decode()


def test_notify_a_subject_reaches_every_active_account_and_masks_mail(register, id_number, uscc, django_capture_on_commit_callbacks):
    code = uscc()
    company = _company(code, legal_rep="王五")
    a = register("organization", uscc=code, name="王五", id_number=id_number(), email="a@example.com")
    b = register("organization", uscc=code, name="王五", id_number=id_number(), email="b@example.com", mobile="13900005678")
    pending = register("organization", uscc=code, name="赵六", id_number=id_number(), email="c@example.com")
    mail.outbox.clear()
    secret_id = id_number()
    with django_capture_on_commit_callbacks(execute=True):
        notes = notify(subject=company, title="异议已受理", body=f"经办人王五（{secret_id}，手机13912345678）提交的异议已受理。", url="/my/")
    assert sorted(n.user_id for n in notes) == sorted([a.user_id, b.user_id])
    assert pending.user_id not in [n.user_id for n in notes]
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.com", "b@example.com"]
    text = mail.outbox[0].body + mail.outbox[0].subject
    assert secret_id not in text and mask_id_number(secret_id) in text
    assert "王五" not in text and "王*" in text
    assert "13912345678" not in text and "139****5678" in text
    assert "异议已受理" in mail.outbox[0].subject


def test_notify_an_individual_masks_their_name(register, id_number, django_capture_on_commit_callbacks):
    number = id_number()
    person = _person(number, name="欧阳小明")
    register("individual", id_number=number, name="欧阳小明", email="p@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        notes = notify(subject=person, title="欧阳小明：信用修复已完成", body="欧阳小明，您的信用修复申请已办结。")
    assert len(notes) == 1 and notes[0].body.startswith("欧阳小明")  # the portal (logged in) keeps it
    sent = mail.outbox[-1]
    assert "欧阳小明" not in sent.subject + sent.body
    assert "欧**明" in sent.body


def test_notify_a_user(operator, django_capture_on_commit_callbacks):
    user = operator()
    user.email = "op@example.com"
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        notes = notify(user=user, title="有新的异议待处理", body="请在20个工作日内答复。", url="/dept/")
    assert len(notes) == 1 and notes[0].user == user
    assert mail.outbox[-1].to == ["op@example.com"]
