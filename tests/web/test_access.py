"""Sign-in, sign-out and who may open which department page."""

import pytest
from django.contrib.auth import get_user_model

from xinyong.security.models import AuditEntry

DEPT_PAGES = [
    "/dept/",
    "/dept/upload/",
    "/dept/templates/",
    "/dept/templates/penalty.gsj.xlsx",
    "/dept/records/",
    "/dept/records/1/",
    "/dept/batches/6f1c1d7e-0000-4000-8000-000000000000/",
    "/dept/review/",
    "/dept/review/1/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", DEPT_PAGES)
def test_anonymous_users_are_sent_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.django_db
def test_anonymous_post_to_withdraw_is_sent_to_login_and_changes_nothing(client):
    response = client.post("/dept/records/1/withdraw/", {"reason": "x"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not AuditEntry.objects.filter(action="record.withdraw").exists()


def test_login_page_is_chinese_and_signs_in_to_the_dashboard(client, operator):
    operator("220100-GSJ", username="liu")
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "登录" in html and 'name="csrfmiddlewaretoken"' in html
    response = client.post("/accounts/login/", {"username": "liu", "password": "Xinyong-test-2026"})
    assert response.status_code == 302 and response["Location"] == "/dept/"
    dashboard = client.get("/dept/")
    assert "长春市市场监督管理局" in dashboard.content.decode()
    entry = AuditEntry.objects.get(action="auth.login")
    assert entry.actor_label == "liu"


def test_wrong_password_is_refused_in_chinese(client, operator):
    operator("220100-GSJ", username="liu")
    response = client.post("/accounts/login/", {"username": "liu", "password": "wrong-password"})
    assert response.status_code == 200
    assert "密码" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_asks_for_confirmation_then_signs_out_with_a_post(op_client):
    confirm = op_client.get("/accounts/logout/")
    assert confirm.status_code == 200 and "确定要退出吗" in confirm.content.decode()
    assert op_client.get("/dept/").status_code == 200  # GET did not sign out
    response = op_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert op_client.get("/dept/").status_code == 302
    assert AuditEntry.objects.filter(action="auth.logout").count() == 1


@pytest.mark.django_db
def test_a_user_with_no_role_gets_a_clear_403(login):
    user = get_user_model().objects.create_user(username="nobody", password="Xinyong-test-2026")
    response = login(user).get("/dept/")
    assert response.status_code == 403
    assert "未关联到启用的报送部门" in response.content.decode()


@pytest.mark.django_db
def test_a_member_of_a_department_without_the_operator_group_is_not_an_operator(login, dept):
    from xinyong.catalog.models import DepartmentMembership

    user = get_user_model().objects.create_user(username="member-only", password="Xinyong-test-2026")
    DepartmentMembership.objects.create(user=user, department=dept("220100-GSJ"))
    assert login(user).get("/dept/").status_code == 403


def test_an_operator_of_a_deactivated_department_is_locked_out(operator, login, dept):
    user = operator("220100-GSJ")
    d = dept("220100-GSJ")
    d.active = False
    d.save()
    assert login(user).get("/dept/upload/").status_code == 403


def test_operators_cannot_open_the_review_queue(op_client):
    response = op_client.get("/dept/review/")
    assert response.status_code == 403
    assert "信用中心工作人员" in response.content.decode()


def test_staff_without_a_department_cannot_upload_but_see_why(staff_client):
    response = staff_client.get("/dept/upload/")
    assert response.status_code == 403
    assert "没有关联报送部门" in response.content.decode()


@pytest.mark.django_db
def test_home_page_renders_with_the_shared_layout(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "信用吉林" in html and "/static/portal/site.css" in html and 'name="viewport"' in html
