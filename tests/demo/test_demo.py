"""The demo province: what someone running `make demo` (and then looking around) would notice.

One small demo (200 subjects) is loaded once for the module through the `xinyong demo` command,
inside a transaction that is rolled back at the end, so other tests never see it.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from xinyong.catalog.registry import get_catalog
from xinyong.demo.generator import BAD_KINDS, DEMO_PASSWORD, DEMO_USERS, FORMULA, demo_generate

N = 200
SEED = 7
CITIES = ["220100", "220200", "220300", "220400", "220500", "220600", "220700", "220800", "222400"]


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_same_seed_and_date_give_byte_identical_files(tmp_path):
    day = date(2025, 12, 31)
    first = demo_generate(subjects=100, seed=SEED, as_of=day, out_dir=tmp_path / "a")
    demo_generate(subjects=100, seed=SEED, as_of=day, out_dir=tmp_path / "b")
    demo_generate(subjects=100, seed=SEED + 1, as_of=day, out_dir=tmp_path / "c")
    a, b, c = files_of(tmp_path / "a"), files_of(tmp_path / "b"), files_of(tmp_path / "c")
    assert a == b
    assert a != c
    formats = {f.format for f in first.feeds} | {f"{f.format}:{f.encoding}" for f in first.feeds}
    assert {"csv", "xlsx", "json", "ndjson", "csv:gbk", "csv:utf-8-sig"} <= formats
    # an XLSX stores the formula payload as a text cell, not as a formula
    xf = next(f for f in first.feeds if f.item_code == "penalty.xf" and any(e.kind == "formula" for e in f.expectations))
    from openpyxl import load_workbook

    sheet = load_workbook(xf.path).active
    row = next(e.row_no for e in xf.expectations if e.kind == "formula")
    cells = [c for c in sheet[row] if c.value == FORMULA]
    assert cells and cells[0].data_type == "s"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    out = tmp_path_factory.mktemp("demo-files")
    day = timezone.localdate()
    with django_db_blocker.unblock(), transaction.atomic():
        stdout = io.StringIO()
        call_command("demo", "--subjects", str(N), "--seed", str(SEED), "--as-of", day.isoformat(), "--out", str(out), "--no-progress", stdout=stdout)
        plan = demo_generate(subjects=N, seed=SEED, as_of=day, out_dir=tmp_path_factory.mktemp("again"))
        yield SimpleNamespace(plan=plan, out=out, stdout=stdout.getvalue(), manifest=json.loads((out / "manifest.json").read_text(encoding="utf-8")))
        transaction.set_rollback(True)


@pytest.fixture
def loaded(demo, db):
    return demo


def test_the_command_loads_the_files_it_would_generate_again(loaded):
    assert files_of(loaded.out) == files_of(loaded.plan.out_dir)
    assert "新建信用主体 200 个" in loaded.stdout
    assert "admin" in loaded.stdout and DEMO_PASSWORD in loaded.stdout


def test_every_batch_went_through_the_pipeline_from_the_demo_door(loaded):
    from xinyong.ingestion.models import Batch

    batches = Batch.objects.filter(door="demo")
    assert batches.count() == len(loaded.plan.feeds)
    assert not batches.exclude(status="succeeded").exists()
    assert set(batches.values_list("mode", flat=True)) == {"submit", "correct", "withdraw"}


def test_subjects_of_every_kind_across_all_cities_and_changbaishan(loaded):
    from xinyong.records.models import Record
    from xinyong.subjects.models import Subject

    assert Subject.objects.count() == N
    kinds = set(Subject.objects.values_list("kind", flat=True))
    assert kinds == {"enterprise", "individual_business", "other_organization", "public_institution", "social_organization", "individual"}
    cities = {r[:4] + "00" for r in Subject.objects.values_list("region", flat=True)}
    assert set(CITIES) <= cities
    # 长白山 (no GB/T 2260 code): its departments submit, its subjects' codes carry real divisions
    assert Record.objects.filter(department__region_id="229900").exists()
    assert not Subject.objects.filter(uscc__contains="229900").exists()
    assert Subject.objects.filter(kind="individual", id_masked__startswith="2201").exists()


def test_every_catalog_item_gets_records(loaded):
    from xinyong.records.models import Record

    stored = set(Record.objects.values_list("item_code", flat=True).distinct())
    assert set(get_catalog().items) <= stored


def test_bad_rows_are_rejected_with_the_expected_reasons(loaded):
    from xinyong.ingestion.models import BatchError

    seen_kinds = set()
    for feed in loaded.plan.feeds:
        for e in feed.expectations:
            if e.kind in ("review", "name_match", "formula", "legacy"):
                continue
            messages = list(BatchError.objects.filter(batch__filename=feed.filename, batch__door="demo", row_no=e.row_no).values_list("message", flat=True))
            assert any(e.reason in m for m in messages), (feed.filename, e, messages)
            seen_kinds.add(e.kind)
    assert set(BAD_KINDS) | {"unknown_record", "missing_reason"} <= seen_kinds
    # every item's feed has some bad rows
    items_with_bad = {f.item_code for f in loaded.plan.feeds if any(e.kind in BAD_KINDS for e in f.expectations)}
    assert items_with_bad == set(get_catalog().items)


def test_rows_whose_subject_is_uncertain_wait_for_an_operator(loaded):
    from xinyong.ingestion.models import ReviewItem

    expected = [(f.filename, e.row_no) for f in loaded.plan.feeds for e in f.expectations if e.kind == "review"]
    assert expected
    items = ReviewItem.objects.filter(batch__door="demo", status="open")
    assert sorted(items.values_list("batch__filename", "row_no")) == sorted(expected)
    assert set(items.values_list("reason", flat=True)) == {"所填代码尚未对应到统一社会信用代码", "仅有名称，未找到名称完全一致的主体"}
    assert all(i.subject_id is None for i in items)


def test_a_row_naming_its_subject_only_by_name_is_matched_exactly_after_normalization(loaded):
    from xinyong.records.models import Record

    expected = [(f.filename, e.row_no, e.reason) for f in loaded.plan.feeds for e in f.expectations if e.kind == "name_match"]
    assert expected
    for filename, row_no, uscc in expected:
        record = Record.objects.select_related("subject").get(batch__filename=filename, batch__door="demo", row_no=row_no)
        assert record.subject.uscc == uscc


def test_legacy_codes_resolve_to_the_registered_subject(loaded):
    from xinyong.subjects.models import Subject, SubjectIdentifier

    # registrations of enterprises older than the USCC carry their old registration number
    assert SubjectIdentifier.objects.filter(scheme="reg_no").exists()
    organizations = Subject.objects.exclude(kind="individual").count()
    assert SubjectIdentifier.objects.filter(scheme="org_code").count() == organizations


def test_id_numbers_are_never_stored_in_clear(loaded):
    from xinyong.ingestion.models import BatchError, ReviewItem
    from xinyong.records.models import ChangeEvent, Record, RecordHistory
    from xinyong.security.models import AuditEntry
    from xinyong.subjects.models import Subject, SubjectIdentifier, SubjectName

    numbers = set(loaded.plan.id_numbers())
    assert len(numbers) == N
    dump = json.dumps(
        [
            list(Subject.objects.values_list("uscc", "id_hash", "id_encrypted", "id_masked", "name", "region")),
            list(Record.objects.values_list("data", "source_id", "document_no")),
            list(RecordHistory.objects.values_list("state", "reason")),
            list(ReviewItem.objects.values_list("payload", "subject_name")),
            list(BatchError.objects.values_list("message")),
            list(AuditEntry.objects.values_list("detail", "object_id")),
            list(SubjectIdentifier.objects.values_list("value")),
            list(SubjectName.objects.values_list("name")),
            list(ChangeEvent.objects.values_list("entity_id")),
        ],
        ensure_ascii=False,
        default=str,
    )
    assert not numbers & set(re.findall(r"\d{17}[\dX]", dump))
    masked = Subject.objects.filter(kind="individual").values_list("id_masked", flat=True)
    assert all(re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", m) for m in masked)
    # legal representatives' ID numbers (双公示 rows) are kept encrypted, shown masked
    with_rep = [d for d in Record.objects.values_list("data", flat=True) if d.get("legal_rep_id_number")]
    assert with_rep and all("*" in d["legal_rep_id_number"] and "legal_rep_id_number" in d["_enc"] for d in with_rep)


def test_formula_cells_are_stored_as_text(loaded):
    from xinyong.records.models import Record

    stored = [(r.item_code, r.batch.format) for r in Record.objects.select_related("batch") if FORMULA in (r.data.get("remarks"), r.data.get("facts"))]
    assert sorted(stored) == [("penalty.gsj", "csv"), ("penalty.xf", "xlsx")]


def test_history_exists_corrections_withdrawals_and_name_changes(loaded):
    from xinyong.records.models import Record, RecordHistory
    from xinyong.subjects.models import SubjectName

    assert RecordHistory.objects.filter(action="correct").exists()
    assert Record.objects.filter(status="withdrawn").exists()
    assert RecordHistory.objects.filter(action="withdraw").exclude(reason="").exists()
    renamed = SubjectName.objects.filter(valid_to__isnull=False).values_list("subject_id", flat=True)
    assert renamed
    assert Record.objects.filter(item_code="registration.gsj", subject_id__in=renamed, version=2).exists()


def test_penalties_mix_severities_deadlines_and_publication(loaded):
    from xinyong.records.models import Record

    penalties = Record.objects.filter(item_code__startswith="penalty.")
    severities = list(penalties.values_list("severity", flat=True))
    assert set(severities) == {"轻微", "一般", "严重"}
    assert severities.count("一般") > severities.count("严重") > 0
    today = timezone.localdate()
    assert penalties.filter(publish_until__lt=today).exists()  # some past their publication period
    assert penalties.filter(publish_from__isnull=True, severity="轻微").exists()  # minor: not published
    decisions = Record.objects.filter(report_deadline__isnull=False)  # 双公示: 7 working days
    assert decisions.filter(on_time=True).exists() and decisions.filter(on_time=False).exists()
    levels = set(Record.objects.filter(item_code__startswith="honour.").values_list("authority_level", flat=True))
    assert "county" in levels and "province" in levels


def test_demo_accounts_can_sign_in_with_their_roles(loaded, client):
    from django.contrib.auth import get_user_model

    from xinyong.security.models import Role

    users = {u.username: u for u in get_user_model().objects.filter(username__in=[u for u, _, _ in DEMO_USERS])}
    assert set(users) == {u for u, _, _ in DEMO_USERS}
    admin = users["admin"]
    assert admin.is_superuser and admin.is_staff and admin.groups.filter(name=Role.PLATFORM_ADMIN).exists()
    for username, dept, _ in DEMO_USERS:
        assert users[username].check_password(DEMO_PASSWORD)
        if dept:
            assert users[username].membership.department.code == dept
            assert users[username].groups.filter(name=Role.DEPARTMENT_OPERATOR).exists()
    # operators' batches are theirs
    assert users["changchun-gsj"].batch_set.exists()


def test_if_empty_does_nothing_and_a_second_load_is_refused(loaded):
    from xinyong.ingestion.models import Batch

    before = Batch.objects.count()
    out = io.StringIO()
    call_command("demo", "--subjects", "100", "--if-empty", stdout=out)
    assert "未载入演示数据" in out.getvalue()
    with pytest.raises(CommandError, match="--force"):
        call_command("demo", "--subjects", "100", stdout=io.StringIO())
    assert Batch.objects.count() == before


def test_the_command_refuses_a_future_as_of_date(db):
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    with pytest.raises(CommandError, match="晚于今天"):
        call_command("demo", "--subjects", "100", "--as-of", future, stdout=io.StringIO())


def test_the_demo_key_is_printed_and_signs_a_check_of_a_demo_subject(loaded, client):
    """The printed key works for the check API (scope check), signed as a department system does."""
    import json
    import re

    from xinyong.security.signing import sign_request
    from xinyong.subjects.models import Subject

    token = re.search(r"只显示这一次）：(xy_\S+)", loaded.stdout).group(1)
    firm = Subject.objects.exclude(kind="individual").order_by("id").first()
    body = json.dumps({"matter": "daily_supervision", "case_no": "DEMO-1", "uscc": firm.uscc})
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in sign_request(token, "POST", "/api/v1/checks", body).items()}
    response = client.post("/api/v1/checks", body, content_type="application/json", **headers)
    assert response.status_code == 200, response.content
    assert response.json()["subject"]["uscc"] == firm.uscc


def test_the_demo_is_refused_under_production_settings(tmp_path):
    """Its accounts share a password printed in the README: never on a production database."""
    import subprocess
    import sys

    env = {
        "DJANGO_SETTINGS_MODULE": "xinyong.settings.production", "XINYONG_VAR_DIR": str(tmp_path), "XINYONG_SECRET_KEY": "k" * 50,
        "XINYONG_FIELD_KEYS": "dGVzdC1maWVsZC1rZXktMDEyMzQ1Njc4OWFiY2RlZmc=", "XINYONG_LOOKUP_KEY": "x",
        "XINYONG_AUDIT_SIGNING_KEY": "dGVzdC1hdWRpdC1zaWduaW5nLWtleS0wMTIzNDU2Nzg=", "PATH": "/usr/bin:/bin",
    }
    root = Path(__file__).resolve().parents[2]
    refused = subprocess.run([sys.executable, "-m", "xinyong", "demo", "--subjects", "200"], env=env, capture_output=True, text=True, check=False, cwd=root)
    assert refused.returncode == 1 and "生产环境不允许载入演示数据" in refused.stderr
    assert not list(tmp_path.glob("*.sqlite3"))  # refused before anything was written
