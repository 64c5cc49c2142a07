"""Submitting a batch: the checks every door shares (department, item, 一数一源, file size), the
copy of the file into the batch folder, and processing now or in the background."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from xinyong.catalog.models import CatalogItem, Department
from xinyong.catalog.registry import LEVELS, get_catalog
from xinyong.common.errors import FileRejected, Forbidden, InvalidInput, NotFound, XinyongError
from xinyong.security.services import Actor

from .models import Batch
from .pipeline import batch_process

log = logging.getLogger("xinyong.ingestion")
MODES = {"submit": "报送", "correct": "更正", "withdraw": "撤销"}


def check_item_right(department: Department, item_code: str):
    """The item, if this department may submit it (一数一源, 分级负责); a clear error otherwise."""
    catalog = get_catalog()
    item = catalog.item(item_code)
    if item is None:
        raise NotFound(f"未知的信息项编码“{item_code[:40]}”（可用 xinyong catalog list 查看）", code="unknown_item")
    loaded = CatalogItem.objects.filter(code=item.code, active=True).values_list("definition", flat=True).first()
    if loaded is None:
        raise XinyongError(f"信息项“{item.name}”尚未载入数据库，请先运行 xinyong catalog sync", code="catalog_not_synced")
    if loaded != item.as_dict():
        # stored records are protected by the checks of catalog sync: a definition changed in
        # the YAML is used only once it has been loaded
        raise XinyongError(
            f"信息项“{item.name}”的定义已修改但尚未载入，请先运行 xinyong catalog sync（载入时会检查修改是否影响已存储的记录）",
            code="catalog_not_synced",
        )
    if department.system != item.owner:
        owner = catalog.systems[item.owner]
        raise Forbidden(
            f"信息项“{item.name}”由{owner.province_name}（{owner.name}条线）负责报送（一数一源），{department.short_name}不能报送",
            code="not_item_owner",
        )
    if department.level not in item.levels:
        raise Forbidden(f"信息项“{item.name}”只由{'、'.join(LEVELS[lv] for lv in item.levels)}部门报送", code="not_item_level")
    return item


def get_department(code: str) -> Department:
    try:
        dept = Department.objects.select_related("region").get(code=str(code).strip())
    except Department.DoesNotExist:
        raise NotFound(f"未知的部门编码“{str(code)[:20]}”", code="unknown_department") from None
    if not dept.active:
        raise Forbidden(f"部门“{dept.short_name}”已停用", code="department_inactive")
    return dept


def _store_file(src: Path, dest: Path, limit: int) -> tuple[str, int]:
    """Copy `src` to `dest` (0600), refusing files over `limit` bytes; returns (sha256, size)."""
    digest = hashlib.sha256()
    size = 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
        while chunk := fin.read(1 << 20):
            size += len(chunk)
            if size > limit:
                fout.close()
                dest.unlink(missing_ok=True)
                raise FileRejected(f"文件超过{limit // (1024 * 1024)} MB 的上限，请拆分后分批上传", code="file_too_large")
            digest.update(chunk)
            fout.write(chunk)
    return digest.hexdigest(), size


def _hash_file(path: Path, limit: int) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            size += len(chunk)
            digest.update(chunk)
    if size > limit:
        raise FileRejected(f"文件超过{limit // (1024 * 1024)} MB 的上限，请拆分后分批上传", code="file_too_large")
    return digest.hexdigest(), size


def batch_submit(
    *,
    department: Department,
    item_code: str,
    path: Path,
    filename: str,
    door: str,
    actor: Actor,
    mode: str = "submit",
    copy: bool = True,
    background: bool | None = None,
    user=None,
    api_key=None,
    max_bytes: int | None = None,
    on_progress=None,
) -> Batch:
    """Create a batch for a file and process it (now, or as a background job for large files)."""
    if mode not in MODES:
        raise InvalidInput(f"未知的报送方式“{mode[:20]}”（可选：submit 报送、correct 更正、withdraw 撤销）", fields={"mode": "无效"})
    item = check_item_right(department, item_code)
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"找不到文件：{filename}", code="file_not_found")
    limit = max_bytes if max_bytes is not None else settings.XINYONG["MAX_UPLOAD_MB"] * 1024 * 1024
    batch = Batch(
        department=department,
        item_code=item.code,
        mode=mode,
        door=door,
        filename=os.path.basename(filename)[:255],
        actor_label=actor.label[:150],
        created_by=user,
        api_key=api_key,
    )
    if copy:
        suffix = Path(filename).suffix.lower()[:10] if Path(filename).suffix else ""
        dest = batch.folder / f"source{suffix}"
        try:
            sha, size = _store_file(path, dest, limit)
        except FileRejected:
            shutil.rmtree(batch.folder, ignore_errors=True)
            raise
        batch.file_path = dest.name  # in the batch's folder (Batch.source_path)
    else:
        sha, size = _hash_file(path, limit)
        batch.file_path = str(path.resolve())
    batch.file_sha256, batch.file_size = sha, size
    batch.duplicate_of = (
        Batch.objects.filter(department=department, item_code=item.code, mode=mode, file_sha256=sha, status="succeeded").order_by("-id").first()
    )
    batch.save()
    if background is None:
        background = size > settings.XINYONG["SYNC_MAX_BYTES"]
    if background:
        from .tasks import process_batch

        process_batch.enqueue(batch_id=batch.id)
        batch.refresh_from_db()
        return batch
    return batch_process(batch, on_progress=on_progress)


def batch_recover_stale(*, older_than_minutes: int = 30) -> int:
    """Batches left 'running' by a process that died: mark them failed (nothing of them is stored,
    their transaction never committed)."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    stale = Batch.objects.filter(status="running", started_at__lt=cutoff)
    count = 0
    for batch in stale:
        batch.status = "failed"
        batch.finished_at = timezone.now()
        batch.message = "处理进程中断，本批次未保存任何数据，请重新提交"
        batch.error_code = "interrupted"
        batch.save(update_fields=["status", "finished_at", "message", "error_code"])
        count += 1
    return count
