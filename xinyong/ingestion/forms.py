"""Forms of the department pages. They parse and check what a person typed; the rules of
ingestion (who may submit which item, file-level checks) stay in services and the pipeline."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django import forms
from django.conf import settings

from xinyong.catalog.registry import Item
from xinyong.common.errors import FileRejected
from xinyong.records.models import STATUS_CHOICES as RECORD_STATUS_CHOICES

from .models import MODE_CHOICES, STATUS_CHOICES
from .readers import _EXT as READER_EXTENSIONS
from .readers import sniff_format

# .xls is let through so that the reader can say why it is refused and what to do instead
UPLOAD_EXTENSIONS = {*READER_EXTENSIONS, ".xls"}
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _item_choices(items: list[Item], *, blank: str | None = None) -> list[tuple[str, str]]:
    choices = [(i.code, f"{i.name}（{i.code}）") for i in items]
    return [("", blank), *choices] if blank is not None else choices


class UploadForm(forms.Form):
    # A plain text field with a select widget: an item outside the list is not a form error but
    # goes to batch_submit, which refuses it with the reason (一数一源, level).
    item = forms.CharField(label="信息项", max_length=40, error_messages={"required": "请选择信息项"})
    mode = forms.ChoiceField(label="报送方式", choices=MODE_CHOICES, initial="submit", widget=forms.RadioSelect)
    file = forms.FileField(
        label="数据文件",
        widget=forms.FileInput(attrs={"accept": ",".join(sorted(UPLOAD_EXTENSIONS - {".xls"}))}),
        help_text="支持 Excel（.xlsx）、CSV（UTF-8 或 GBK 编码）、JSON 和 NDJSON；建议使用下载的模板填写。",
        error_messages={"required": "请选择要上传的文件", "empty": "文件为空，请检查后重新选择", "invalid": "未收到文件，请重新选择"},
    )

    def __init__(self, *args, items: list[Item], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].widget = forms.Select(choices=_item_choices(items, blank="请选择信息项"))
        self._temp_path: Path | None = None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name or ""
        ext = Path(name).suffix.lower()
        if ext not in UPLOAD_EXTENSIONS:
            shown = f"“{ext}”" if ext else "（无扩展名）"
            raise forms.ValidationError(f"不支持的文件类型{shown}：请上传 .xlsx、.csv、.json 或 .ndjson 文件")
        limit = settings.XINYONG["MAX_UPLOAD_MB"] * 1024 * 1024
        if upload.size > limit:
            raise forms.ValidationError(f"文件超过{settings.XINYONG['MAX_UPLOAD_MB']} MB 的上限，请拆分后分批上传")
        try:
            sniff_format(self.upload_path(), name)
        except FileRejected as exc:
            raise forms.ValidationError(exc.message) from exc
        return upload

    def upload_path(self) -> Path:
        """A path to the uploaded bytes (uploads are streamed to disk; a file kept in memory by
        another upload handler is written to a temporary file, removed by `cleanup()`)."""
        upload = self.cleaned_data["file"]
        if hasattr(upload, "temporary_file_path"):
            return Path(upload.temporary_file_path())
        if self._temp_path is None:
            fd, name = tempfile.mkstemp(prefix="upload-", dir=settings.FILE_UPLOAD_TEMP_DIR)
            with os.fdopen(fd, "wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            self._temp_path = Path(name)
        return self._temp_path

    def cleanup(self) -> None:
        if self._temp_path is not None:
            self._temp_path.unlink(missing_ok=True)
            self._temp_path = None


class BatchFilterForm(forms.Form):
    department = forms.ModelChoiceField(label="部门", queryset=None, required=False, empty_label="全部部门")
    item = forms.ChoiceField(label="信息项", required=False)
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *STATUS_CHOICES])

    def __init__(self, *args, items: list[Item], departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = _item_choices(items, blank="全部信息项")
        if departments is None:
            del self.fields["department"]
        else:
            self.fields["department"].queryset = departments


class RecordFilterForm(forms.Form):
    department = forms.ModelChoiceField(label="部门", queryset=None, required=False, empty_label="全部部门")
    item = forms.ChoiceField(label="信息项", required=False)
    decided_from = forms.DateField(label="决定日期自", required=False, widget=DATE_INPUT)
    decided_to = forms.DateField(label="至", required=False, widget=DATE_INPUT)
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *RECORD_STATUS_CHOICES])

    def __init__(self, *args, items: list[Item], departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = _item_choices(items, blank="全部信息项")
        if departments is None:
            del self.fields["department"]
        else:
            self.fields["department"].queryset = departments

    def clean(self):
        data = super().clean()
        a, b = data.get("decided_from"), data.get("decided_to")
        if a and b and a > b:
            self.add_error("decided_to", "结束日期早于开始日期")
        return data


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="撤销原因",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="如：决定已被复议机关撤销。撤销后记录不再公示，原内容保留在变更历史中。",
        error_messages={"required": "请填写撤销原因", "max_length": "撤销原因不超过500个字"},
    )


class SubjectSearchForm(forms.Form):
    q = forms.CharField(label="统一社会信用代码或名称", max_length=200, required=False)


class ReviewLinkForm(forms.Form):
    subject = forms.IntegerField(widget=forms.HiddenInput, error_messages={"required": "请选择主体"})
    map_legacy = forms.BooleanField(label="同时把该行所填的旧代码（组织机构代码、注册号等）对应到该主体", required=False, initial=True)
    note = forms.CharField(label="备注", max_length=500, required=False)


class ReviewRejectForm(forms.Form):
    note = forms.CharField(
        label="退回说明",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="将显示在报送部门的批次页面，如：名称对应多个主体，请补充统一社会信用代码后重新报送。",
        error_messages={"required": "请填写退回说明"},
    )
