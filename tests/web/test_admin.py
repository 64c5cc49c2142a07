"""The Django admin of the credit centre: what it shows, what it never shows, what it audits."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from xinyong.catalog.models import Department
from xinyong.security.models import ApiKey, AuditEntry, Role
from xinyong.subjects.models import Subject

CHANGELISTS = [
    "catalog/region", "catalog/department", "catalog/catalogitem", "catalog/catalogload",
    "subjects/subject", "subjects/subjectidentifier", "records/record", "records/changeevent",
    "ingestion/batch", "ingestion/reviewitem", "security/apikey", "security/auditentry",
]


@pytest.fixture
def person(upload, penalty_row, id_number):
    number = id_number("220102")
    upload([penalty_row(行政相对人名称="王小明", 行政相对人类别="自然人", 统一社会信用代码="", 法定代表人="", 证件号码=number)])
    return number, Subject.objects.get(kind="individual")


@pytest.mark.parametrize("model", CHANGELISTS)
def test_every_changelist_opens(admin_client, upload, penalty_row, model):
    upload([penalty_row(), penalty_row(统一社会信用代码="91220101MA1234567X")])
    response = admin_client.get(f"/admin/{model}/")
    assert response.status_code == 200


@pytest.mark.parametrize("model", ["catalog/region", "catalog/catalogitem", "records/record", "ingestion/batch", "security/auditentry", "subjects/subject", "catalog/department"])
def test_platform_data_cannot_be_added_by_hand(admin_client, model):
    assert admin_client.get(f"/admin/{model}/add/").status_code == 403


def test_audit_entries_cannot_be_changed_or_deleted(admin_client, upload, penalty_row):
    upload([penalty_row()])
    entry = AuditEntry.objects.first()
    page = admin_client.get(f"/admin/security/auditentry/{entry.id}/change/").content.decode()
    assert 'name="_save"' not in page
    assert admin_client.post(f"/admin/security/auditentry/{entry.id}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    bulk = admin_client.post("/admin/security/auditentry/", {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
    assert bulk.status_code in (200, 302) and AuditEntry.objects.filter(pk=entry.pk).exists()


def test_an_individual_is_shown_masked_and_opening_it_is_audited(admin_client, person):
    number, subject = person
    for url in ("/admin/subjects/subject/", f"/admin/subjects/subject/{subject.id}/change/"):
        html = admin_client.get(url).content.decode()
        assert number not in html and subject.id_hash not in html and subject.id_encrypted not in html
        assert "王*明" in html
        if "change" in url:
            assert number[:6] + "********" + number[-4:] in html
    assert AuditEntry.objects.filter(action="subject.view", subject_id=subject.id).count() == 1  # the page, not the list


def test_subjects_can_be_found_by_id_number_and_the_search_is_audited(admin_client, person):
    number, subject = person
    html = admin_client.get("/admin/subjects/subject/", {"q": number}).content.decode()
    assert f"/admin/subjects/subject/{subject.id}/change/" in html
    entry = AuditEntry.objects.get(action="subject.search_id")
    assert number not in str(entry.detail)


def test_records_are_read_only_without_encrypted_values(admin_client, person):
    from xinyong.records.models import Record

    number, _ = person
    record = Record.objects.get()
    html = admin_client.get(f"/admin/records/record/{record.id}/change/").content.decode()
    assert 'name="_save"' not in html
    assert number not in html and "_enc" not in html and record.data["_enc"]["id_number"] not in html
    assert AuditEntry.objects.filter(action="record.view", object_id=str(record.id)).count() == 1


def test_api_key_secret_is_shown_once_and_never_again(admin_client, dept):
    from xinyong.security.keys import apikey_authenticate

    d = dept("220100-GSJ")
    response = admin_client.post("/admin/security/apikey/add/", {"department": d.id, "name": "行政处罚案件系统", "scopes": ["ingest", "catalog"]})
    assert response.status_code == 200
    html = response.content.decode()
    key = ApiKey.objects.get()
    token = html.split(f"{key.key_id}.")[1].split("<")[0]
    assert apikey_authenticate(f"{key.key_id}.{token}").pk == key.pk
    assert "no-store" in response["Cache-Control"]
    for url in ("/admin/security/apikey/", f"/admin/security/apikey/{key.id}/change/"):
        page = admin_client.get(url).content.decode()
        assert token not in page and key.secret_hash not in page and key.secret_encrypted not in page
    assert AuditEntry.objects.filter(action="apikey.create", object_id=key.key_id).count() == 1


def test_api_keys_are_revoked_not_deleted(admin_client, dept):
    from xinyong.security.keys import apikey_create
    from xinyong.security.services import Actor

    key, _ = apikey_create(department=dept("220100-GSJ"), name="测试系统", actor=Actor.system())
    assert admin_client.get(f"/admin/security/apikey/{key.id}/delete/").status_code == 403
    admin_client.post("/admin/security/apikey/", {"action": "revoke_keys", "_selected_action": [key.pk]})
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert AuditEntry.objects.filter(action="apikey.revoke", object_id=key.key_id).count() == 1


def test_department_contact_and_operators_are_managed_and_audited(admin_client, dept):
    d = dept("220100-GSJ")
    user = get_user_model().objects.create_user(username="liu", password="Xinyong-test-2026")
    response = admin_client.post(
        f"/admin/catalog/department/{d.id}/change/",
        {
            "active": "on",
            "contact_name": "刘科长",
            "contact_phone": "0431-88888888",
            "members-TOTAL_FORMS": "1",
            "members-INITIAL_FORMS": "0",
            "members-MIN_NUM_FORMS": "0",
            "members-MAX_NUM_FORMS": "1000",
            "members-0-user": user.id,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    d.refresh_from_db()
    assert d.contact_name == "刘科长" and d.name == "长春市市场监督管理局"
    assert user.membership.department_id == d.id
    assert user.groups.filter(name=Role.DEPARTMENT_OPERATOR).exists()
    entry = AuditEntry.objects.get(action="admin.change", object_type="department")
    assert entry.object_id == str(d.id)
    assert Group.objects.filter(name=Role.DEPARTMENT_OPERATOR).count() == 1


def test_department_names_come_from_the_catalog_not_the_admin(admin_client, dept):
    d = dept("220100-GSJ")
    admin_client.post(f"/admin/catalog/department/{d.id}/change/", {"name": "改名", "active": "on", "members-TOTAL_FORMS": "0", "members-INITIAL_FORMS": "0"})
    assert Department.objects.get(pk=d.pk).name == "长春市市场监督管理局"


def test_a_superuser_made_a_role_given_and_a_password_set_in_the_admin_are_in_the_audit_chain(admin_client):
    """Who made whom a superuser or gave a role is what an intruder would hide: each change of a
    user or a role in the admin is an audit entry, not only a line in Django's admin log."""
    user = get_user_model().objects.create_user("zhangsan", password="起始密码-不会被用到-2026")
    role, _ = Group.objects.get_or_create(name="信用中心工作人员")
    form = {
        "username": "zhangsan", "is_active": "on", "is_staff": "on", "is_superuser": "on", "groups": [role.id],
        "date_joined_0": "2026-11-30", "date_joined_1": "09:00:00", "last_login_0": "", "last_login_1": "",
    }
    answer = admin_client.post(f"/admin/auth/user/{user.id}/change/", form)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    user.refresh_from_db()
    assert user.is_superuser and user.groups.filter(pk=role.pk).exists()
    change = AuditEntry.objects.filter(action="admin.change", object_type="user", object_id=str(user.id)).get()
    assert change.detail["state"] == {"is_active": True, "is_staff": True, "is_superuser": True, "groups": ["信用中心工作人员"]}
    assert change.actor_type == "user" and change.actor_label == "admin"

    answer = admin_client.post(f"/admin/auth/user/{user.id}/password/", {"password1": "Xy-新的口令-更长一些-7391", "password2": "Xy-新的口令-更长一些-7391"})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert AuditEntry.objects.filter(action="admin.change", object_type="user", object_id=str(user.id)).count() == 2

    answer = admin_client.post(f"/admin/auth/group/{role.id}/change/", {"name": "信用中心工作人员（新）", "permissions": []})
    assert answer.status_code == 302
    assert AuditEntry.objects.filter(action="admin.change", object_type="group", object_id=str(role.id)).exists()
