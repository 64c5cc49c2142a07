"""The credit centre's review queue: rows whose subject could not be identified for certain are
linked by a person (never guessed), or sent back with a note."""

import pytest

from xinyong.ingestion.models import Batch, ReviewItem
from xinyong.records.models import ChangeEvent, Record
from xinyong.security.models import AuditEntry
from xinyong.subjects.models import Subject, SubjectIdentifier

NAME = "长春市某某商贸有限公司"


@pytest.fixture
def waiting(upload, penalty_row, uscc):
    """A known subject (sent with its USCC), then a row naming it only by an old organization code."""
    code = uscc("220102")
    upload([penalty_row(行政相对人名称=NAME, code=code)])
    subject = Subject.objects.get(uscc=code)
    row = penalty_row(行政相对人名称=NAME, 统一社会信用代码="", 组织机构代码="22010088-1")
    upload([row])
    batch = Batch.objects.order_by("-id").first()
    assert (batch.accepted, batch.to_review) == (0, 1)
    return {"subject": subject, "batch": batch, "review": ReviewItem.objects.get(), "row": row}


def test_the_operator_sees_rows_waiting_for_review_on_the_batch_page(waiting, op_client):
    html = op_client.get(f"/dept/batches/{waiting['batch'].public_id}/").content.decode()
    assert "待人工关联主体的行" in html and "所填代码尚未对应到统一社会信用代码" in html and "待处理" in html
    assert "1 条记录因只填写了名称" in op_client.get("/dept/").content.decode()


def test_staff_find_the_subject_by_uscc_or_exact_name(waiting, staff_client):
    review, subject = waiting["review"], waiting["subject"]
    queue = staff_client.get("/dept/review/").content.decode()
    assert f"/dept/review/{review.id}/" in queue and NAME in queue
    by_code = staff_client.get(f"/dept/review/{review.id}/?q={subject.uscc.lower()}").content.decode()
    assert f'value="{subject.id}"' in by_code
    by_name = staff_client.get(f"/dept/review/{review.id}/?q=长春市某某商贸 有限公司").content.decode()
    assert f'value="{subject.id}"' in by_name  # spaces are normalized, nothing fuzzier
    partial = staff_client.get(f"/dept/review/{review.id}/?q=某某商贸").content.decode()
    assert f'value="{subject.id}"' not in partial and "没有找到" in partial


def test_linking_stores_the_record_with_the_rows_lineage(waiting, staff_client, op_client):
    review, subject, batch = waiting["review"], waiting["subject"], waiting["batch"]
    response = staff_client.post(f"/dept/review/{review.id}/link/", {"subject": subject.id, "map_legacy": "on"}, follow=True)
    assert response.status_code == 200 and "已入库" in response.content.decode()
    record = Record.objects.get(batch=batch)
    assert (record.subject_id, record.row_no, record.department.code) == (subject.id, 2, "220100-GSJ")
    assert record.document_no == waiting["row"]["行政处罚决定书文号"]
    # received when the department sent it (the batch ran), not when the centre linked it
    assert record.received_at == batch.started_at and record.report_deadline is not None
    assert ChangeEvent.objects.filter(entity_id=record.id, op="ADD", batch_id=batch.id).count() == 1
    review.refresh_from_db()
    assert (review.status, review.subject_id, review.record_id) == ("linked", subject.id, record.id)
    assert review.resolved_by.username == "credit-centre"
    entry = AuditEntry.objects.get(action="review.link")
    assert entry.subject_id == subject.id and entry.detail["record"] == record.id
    # the old code now designates the subject: the same row sent again is recognized, not queued
    assert SubjectIdentifier.objects.get(scheme="org_code", value="220100881").subject_id == subject.id
    # the row left the queue; the record is the department's and shows up in its list
    assert f"/dept/review/{review.id}/" not in staff_client.get("/dept/review/").content.decode()
    assert f'href="/dept/records/{record.id}/"' in op_client.get("/dept/records/").content.decode()


def test_resubmitting_after_a_link_stores_nothing_twice(waiting, staff_client, upload):
    staff_client.post(f"/dept/review/{waiting['review'].id}/link/", {"subject": waiting["subject"].id, "map_legacy": "on"})
    upload([waiting["row"]])
    batch = Batch.objects.order_by("-id").first()
    assert (batch.accepted, batch.unchanged, batch.to_review) == (0, 1, 0)
    assert Record.objects.filter(subject=waiting["subject"]).count() == 2


def test_a_row_cannot_be_linked_twice(waiting, staff_client):
    url = f"/dept/review/{waiting['review'].id}/link/"
    staff_client.post(url, {"subject": waiting["subject"].id})
    again = staff_client.post(url, {"subject": waiting["subject"].id})
    assert again.status_code == 400 and "已处理" in again.content.decode()
    assert Record.objects.filter(batch=waiting["batch"]).count() == 1


def test_link_needs_a_chosen_existing_subject(waiting, staff_client):
    url = f"/dept/review/{waiting['review'].id}/link/"
    assert "请选择主体" in staff_client.post(url, {}).content.decode()
    assert "所选主体不存在" in staff_client.post(url, {"subject": 999999}).content.decode()
    assert not Record.objects.filter(batch=waiting["batch"]).exists()


def test_rejecting_needs_a_note_which_the_department_then_sees(waiting, staff_client, op_client):
    review = waiting["review"]
    empty = staff_client.post(f"/dept/review/{review.id}/reject/", {"note": ""})
    assert empty.status_code == 400 and "请填写退回说明" in empty.content.decode()
    staff_client.post(f"/dept/review/{review.id}/reject/", {"note": "无法确认主体，请补充统一社会信用代码后重新报送"})
    review.refresh_from_db()
    assert review.status == "rejected" and not Record.objects.filter(batch=waiting["batch"]).exists()
    assert AuditEntry.objects.get(action="review.reject").detail["note"].startswith("无法确认主体")
    html = op_client.get(f"/dept/batches/{waiting['batch'].public_id}/").content.decode()
    assert "已退回" in html and "请补充统一社会信用代码后重新报送" in html


def test_operators_cannot_link_or_reject(waiting, op_client):
    review = waiting["review"]
    assert op_client.post(f"/dept/review/{review.id}/link/", {"subject": waiting["subject"].id}).status_code == 403
    assert op_client.post(f"/dept/review/{review.id}/reject/", {"note": "x"}).status_code == 403
    review.refresh_from_db()
    assert review.status == "open"


def test_review_services_refuse_a_non_staff_actor(waiting, operator):
    from xinyong.common.errors import Forbidden
    from xinyong.ingestion.review import review_link
    from xinyong.security.services import Actor

    with pytest.raises(Forbidden):
        review_link(item=waiting["review"], subject=waiting["subject"], actor=Actor.for_user(operator("220100-GSJ", username="sneaky")))


def test_names_in_the_queue_are_escaped(upload, penalty_row, staff_client):
    upload([penalty_row(行政相对人名称="<img src=x onerror=alert(1)>公司", 统一社会信用代码="", 组织机构代码="22010099-X")])
    review = ReviewItem.objects.get()
    for url in ("/dept/review/", f"/dept/review/{review.id}/"):
        html = staff_client.get(url).content.decode()
        assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;公司" in html
