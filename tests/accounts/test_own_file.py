"""The own file: the whole file, non-public records marked with their reason, only to its owner."""

from __future__ import annotations

import re

import pytest

from xinyong.security.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_the_owner_sees_every_record_and_why_some_are_not_public(client, firm, register, id_number):
    company = firm()
    account = register("organization", uscc=company.uscc, name="赵立新", id_number=id_number())
    client.force_login(account.user)
    html = client.get("/my/").content.decode()
    assert "长市监罚〔2026〕1号" in html  # public
    assert "长市监罚〔2026〕2号" in html and "依规不予公示" in html  # a minor penalty
    assert "不公开的承诺事由" in html and "内部信息" in html  # a commitment its department keeps internal
    assert "共 3 条，其中 2 条不向社会公开" in html
    public = client.get(f"/subjects/{company.uscc}/").content.decode()
    assert "长市监罚〔2026〕1号" in public and "长市监罚〔2026〕2号" not in public and "不公开的承诺事由" not in public
    entry = AuditEntry.objects.get(action="account.own_file_view")
    assert entry.subject_id == company.id and entry.actor_user_id == account.user_id and entry.detail == {"not_public": 2}


def test_another_subjects_account_sees_only_its_own_file(client, firm, register, id_number):
    mine = firm(name="吉林省北辰食品有限公司", doc_prefix="长市监罚〔2026〕")
    other = firm(name="吉林省南岭商贸有限公司", legal_rep="孙其", doc_prefix="长市监罚〔2025〕")
    account = register("organization", uscc=other.uscc, name="孙其", id_number=id_number())
    client.force_login(account.user)
    own = client.get("/my/").content.decode()
    assert "吉林省南岭商贸有限公司" in own and "长市监罚〔2025〕2号" in own
    assert "吉林省北辰食品有限公司" not in own and "长市监罚〔2026〕" not in own
    # the other enterprise's file: the public one, like anybody's
    public = client.get(f"/subjects/{mine.uscc}/").content.decode()
    assert "长市监罚〔2026〕1号" in public and "长市监罚〔2026〕2号" not in public and "不公开原因" not in public


def test_a_private_individual_is_the_same_404_to_another_account_as_an_unknown_one(client, person_with_file, register, id_number):
    import uuid

    private, number = person_with_file(name="张三")
    owner = register("individual", id_number=number, name="张三", username="owner")
    stranger = register("individual", id_number=id_number(), name="李四", username="stranger")
    client.force_login(stranger.user)
    known = client.get(f"/subjects/p/{private.public_id}/")
    unknown = client.get(f"/subjects/p/{uuid.uuid4()}/")
    assert known.status_code == unknown.status_code == 404
    # the same page, but for the address itself (in the large-text toggle's link back) and the
    # per-response CSRF token of the logout button
    def plain(response, public_id) -> str:
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode().replace(public_id, "ID"))

    assert plain(known, str(private.public_id)) == plain(unknown, unknown.wsgi_request.path.split("/")[-2])
    assert "长市监罚〔2026〕901号" not in client.get("/my/").content.decode()
    client.force_login(owner.user)
    mine = client.get("/my/").content.decode()
    assert "长市监罚〔2026〕901号" in mine
    assert number not in mine and number[:6] + "********" + number[-4:] in mine


def test_another_users_notification_is_a_404_like_an_unknown_one(client, register, id_number):
    from xinyong.accounts.services import notify

    a = register("individual", id_number=id_number(), username="a")
    b = register("individual", id_number=id_number(), username="b")
    note = notify(user=a.user, title="仅本人可见", body="…", url="/my/")[0]
    client.force_login(b.user)
    assert client.post(f"/my/notifications/{note.pk}/open/").status_code == 404
    assert client.post(f"/my/notifications/{note.pk + 1000}/open/").status_code == 404
    client.post("/my/notifications/read/", {"id": [note.pk]})
    note.refresh_from_db()
    assert note.read_at is None  # b cannot mark a's notification read


def test_repaired_records_are_shown_to_the_owner_as_repaired(client, firm, register, id_number):
    from xinyong.records.models import Record

    company = firm()
    Record.objects.filter(document_no="长市监罚〔2026〕1号").update(status="repaired")
    account = register("organization", uscc=company.uscc, name="赵立新", id_number=id_number())
    client.force_login(account.user)
    html = client.get("/my/").content.decode()
    assert "长市监罚〔2026〕1号" in html and "已完成信用修复，停止公示" in html
    assert "长市监罚〔2026〕1号" not in client.get(f"/subjects/{company.uscc}/").content.decode()


def test_a_long_section_shows_the_newest_and_the_rest_on_request(client, firm, register, id_number, settings):
    settings.XINYONG = {**settings.XINYONG, "FILE_SECTION_LIMIT": 1}
    company = firm()
    account = register("organization", uscc=company.uscc, name="赵立新", id_number=id_number())
    client.force_login(account.user)
    html = client.get("/my/").content.decode()
    assert html.count("长市监罚〔2026〕") == 1 and "另有 1 条" in html
    everything = client.get("/my/?all=penalty").content.decode()
    assert "长市监罚〔2026〕1号" in everything and "长市监罚〔2026〕2号" in everything


def test_only_an_organization_account_is_offered_annual_reports(client, firm, person_with_file, register, id_number):
    company = firm()
    org = register("organization", uscc=company.uscc, name="赵立新", id_number=id_number())
    client.force_login(org.user)
    assert 'href="/my/annual-reports/"' in client.get("/my/").content.decode()
    _, number = person_with_file()
    person = register("individual", id_number=number)
    client.force_login(person.user)
    assert "我的信用档案" in client.get("/my/").content.decode()
    assert 'href="/my/annual-reports/"' not in client.get("/my/").content.decode()
