"""Shared fixtures: a database with the catalog loaded, department operators, and a helper that
writes a file and submits it through the one ingestion pipeline."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import pytest

from xinyong.catalog.models import Department, DepartmentMembership
from xinyong.catalog.registry import get_catalog
from xinyong.demo.codes import make_id_number, make_uscc


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from xinyong.catalog.services import catalog_sync

    with django_db_blocker.unblock():
        catalog_sync()


@pytest.fixture
def catalog_loaded():
    """The catalog in the database, for a transactional test: the flush that ends another
    transactional test empties every table, the catalog loaded once per session too."""
    from xinyong.catalog.models import Department
    from xinyong.catalog.services import catalog_sync

    if not Department.objects.exists():
        catalog_sync()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and cached figures live in Django's cache: every test starts from empty."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def bench_endpoints(settings):
    """The benchmark-only endpoints mounted (XINYONG_BENCH_ENDPOINTS=1) for the test, unmounted
    after it (the URLconf reads the setting when it is loaded)."""
    import importlib

    from django.urls import clear_url_caches

    import xinyong.urls

    def reload():
        importlib.reload(xinyong.urls)
        clear_url_caches()

    settings.XINYONG = {**settings.XINYONG, "BENCH_ENDPOINTS": True}
    reload()
    try:
        yield
    finally:
        settings.XINYONG = {**settings.XINYONG, "BENCH_ENDPOINTS": False}
        reload()


@pytest.fixture
def rng():
    return random.Random(20141)


@pytest.fixture
def catalog():
    return get_catalog()


@pytest.fixture
def uscc(rng):
    def make(region: str = "220102", prefix: str = "91") -> str:
        return make_uscc(rng, region=region, prefix=prefix)

    return make


@pytest.fixture
def id_number(rng):
    def make(region: str = "220102") -> str:
        return make_id_number(rng, region=region)

    return make


@pytest.fixture
def dept(db):
    def get(code: str = "220100-GSJ") -> Department:
        return Department.objects.get(code=code)

    return get


@pytest.fixture
def operator(db, django_user_model):
    """A department operator (部门报送员) of the given department."""

    def make(dept_code: str = "220100-GSJ", username: str | None = None):
        from django.contrib.auth.models import Group

        from xinyong.security.models import Role

        user = django_user_model.objects.create_user(username=username or f"op-{dept_code}", password="Xinyong-test-2026")
        user.groups.add(Group.objects.get_or_create(name=Role.DEPARTMENT_OPERATOR)[0])
        DepartmentMembership.objects.create(user=user, department=Department.objects.get(code=dept_code))
        return user

    return make


@pytest.fixture
def platform_admin(db, django_user_model):
    from django.contrib.auth.models import Group

    from xinyong.security.models import Role

    user = django_user_model.objects.create_user(username="credit-centre", password="Xinyong-test-2026", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=Role.PLATFORM_ADMIN)[0])
    return user


@pytest.fixture
def send(ingest):
    """send(item, rows, dept) → the batch, with every row accepted (the test's own data is valid)."""

    def run(item: str, rows: list[dict], dept_code: str = "220100-GSJ", **kw):
        batch = ingest(rows, item=item, dept_code=dept_code, **kw)
        assert batch.status == "succeeded", batch.message
        assert batch.rejected == 0 and batch.to_review == 0, list(batch.row_errors.values_list("row_no", "field", "message"))
        return batch

    return run


def tiny_png() -> bytes:
    """A real 8×8 PNG image (uploads are decoded: a PNG header alone is refused)."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, format="PNG")
    return buf.getvalue()


def write_csv(path: Path, rows: list[dict], *, encoding: str = "utf-8", headers: list[str] | None = None) -> Path:
    headers = headers or list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers)
    for r in rows:
        writer.writerow([r.get(h, "") for h in headers])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_json(path: Path, rows: list[dict], *, ndjson: bool = False) -> Path:
    if ndjson:
        path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    else:
        path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def penalty_row(uscc):
    """A valid 双公示 penalty row (labels as headers), overridable."""

    def make(**over) -> dict:
        row = {
            "行政相对人名称": "长春市某某商贸有限公司",
            "行政相对人类别": "法人及非法人组织",
            "统一社会信用代码": over.pop("code", None) or uscc("220102"),
            "法定代表人": "李四",
            "行政处罚决定书文号": over.pop("doc", None) or f"长市监罚〔2026〕{random.randrange(1, 10**6)}号",
            "违法行为类型": "虚假宣传",
            "违法事实": "当事人在其网站发布虚假广告",
            "处罚依据": "《中华人民共和国广告法》第五十五条",
            "处罚类别": "罚款",
            "处罚内容": "罚款人民币2万元",
            "罚款金额（万元）": "2",
            "处罚决定日期": "2026-11-02",
            "失信严重程度": "一般",
            "处罚机关": "长春市市场监督管理局",
            "处罚机关统一社会信用代码": "11220100MB1957950T",
            "数据来源单位": "长春市市场监督管理局",
            "数据来源单位统一社会信用代码": "11220100MB1957950T",
        }
        row.update(over)
        return row

    return make


@pytest.fixture
def ingest(db, tmp_path, dept):
    """Submit rows (or a file) through the pipeline as the CLI does; returns the Batch."""
    from xinyong.ingestion.services import batch_submit
    from xinyong.security.services import Actor

    counter = {"n": 0}

    def run(rows=None, *, item: str = "penalty.gsj", dept_code: str = "220100-GSJ", mode: str = "submit", path: Path | None = None, fmt: str = "csv", encoding: str = "utf-8", filename: str | None = None):
        counter["n"] += 1
        if path is None:
            name = filename or f"feed{counter['n']}.{fmt}"
            target = tmp_path / name
            if fmt == "csv":
                path = write_csv(target, rows, encoding=encoding)
            elif fmt in ("json", "ndjson"):
                path = write_json(target, rows, ndjson=fmt == "ndjson")
            else:
                raise ValueError(fmt)
        d = dept(dept_code)
        return batch_submit(department=d, item_code=item, path=path, filename=filename or path.name, door="cli", actor=Actor.system("test"), mode=mode, background=False)

    return run
