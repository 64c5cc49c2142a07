"""The filter form of a list page (GET; says in Chinese what is wrong with the query string)."""

from __future__ import annotations

from django import forms

from xinyong.catalog.registry import ListType
from xinyong.publicity.forms import RegionField, check_date_range, date_field

from .selectors import list_departments


class ListFilterForm(forms.Form):
    region = RegionField(label="主体所在地区")
    dept = forms.ChoiceField(label="认定部门", required=False, error_messages={"invalid_choice": "未知的部门编码“%(value)s”"})
    listed_from = date_field("列入日期自")
    listed_to = date_field("列入日期至")

    def __init__(self, *args, list_type: ListType, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dept"].choices = [("", "全部部门"), *((d.code, d.name) for d in list_departments(list_type))]

    def clean(self):
        data = super().clean()
        check_date_range(self, "listed_from", "listed_to")
        return data


# ---------------------------------------------------------------------- department pages (/dept/lists/)
# The forms parse what a person typed; the rules of the due process (who may act, in which
# state, the statement period, warning before punishment) are the services' (sanctions.services).
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DAY_HELP = "环节实际办理的日期，默认今天；不能晚于今天。"


def _day_field():
    return forms.DateField(label="办理日期", required=False, widget=DATE_INPUT, help_text=DAY_HELP, error_messages={"invalid": "日期应写作 YYYY-MM-DD"})


def _text(label: str, *, required: bool = True, rows: int = 3, max_length: int = 4000, help_text: str = "", message: str = ""):
    return forms.CharField(
        label=label, required=required, max_length=max_length, help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": message or f"请填写{label}", "max_length": f"{label}不超过{max_length}个字"},
    )


class StepForm(forms.Form):
    day = _day_field()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.order_fields([*(k for k in self.fields if k != "day"), "day"])  # the date last

    def clean_day(self):
        from xinyong.records.selectors import today

        day = self.cleaned_data.get("day") or today()
        if day > today():
            raise forms.ValidationError("办理日期不能晚于今天")
        return day


def default_measures(lt: ListType) -> str:
    if lt.kind == "red":
        return "依法实施守信激励：行政审批“绿色通道”，优先办理、简化程序（容缺受理），减少日常检查频次。"
    if lt.kind == "focus":
        return "列为重点关注对象：加强日常监管，提高抽查比例和频次。"
    return "依法实施失信惩戒（以全国失信惩戒措施基础清单为限）：列为重点监管对象，提高检查频次；不适用告知承诺等简化程序；依法限制申请财政资金、参与政府采购、招标投标和公共资源交易。"


def default_removal_terms(lt: ListType) -> str:
    parts = [f"列入期限{lt.duration_months}个月，期满自动移出" if lt.duration_months else "违法失信情形消除后，依当事人申请或依职权移出"]
    if lt.repair_after_months:
        parts.append(f"列入满{lt.repair_after_months}个月后，已纠正失信行为、履行相关义务并公开作出信用承诺的，可向本机关申请信用修复，经核实后提前移出")
    else:
        parts.append("已纠正失信行为、履行相关义务并公开作出信用承诺的，可向本机关申请信用修复，经核实后提前移出")
    parts.append("列入决定被依法撤销或者依据的信用记录被撤销、修复的，移出名单")
    return "；".join(parts) + "。"


DEFAULT_REMEDIES = "对本决定不服的，可以依法申请行政复议或者提起行政诉讼。对名单信息有异议的，可以向本机关或信用吉林网站提出异议申请。"


class ProposeForm(StepForm):
    department = forms.ChoiceField(label="认定机关", required=False, help_text="信用中心代为办理时选择认定机关；部门报送员为本部门。", error_messages={"invalid_choice": "请选择认定该名单的机关"})
    subject = forms.CharField(label="统一社会信用代码或公民身份号码", max_length=40, error_messages={"required": "请填写拟列入主体的统一社会信用代码或公民身份号码"})
    legal_basis = _text("法律依据", help_text="法律、法规、规章或规范性文件的名称及条款；没有法律依据的，不能拟列入。", message="须写明列入的法律依据（法律、法规、规章或规范性文件的名称及条款）")
    reason = _text("事实和理由", rows=4, message="须写明拟列入的事实和理由")
    basis_records = forms.CharField(label="依据的信用记录编号", required=False, max_length=500, help_text="该主体在平台中的记录编号，多个用逗号或空格分隔；依据记录全部被撤销或修复的，条目随之移出。")
    legal_rep = forms.CharField(label="法定代表人（负责人）姓名", required=False, max_length=50)
    responsible = _text("相关责任人", required=False, rows=2, max_length=500, help_text="每行一人，写作“职务 姓名”，如：财务负责人 张三。")
    warning_exemption = _text("免予先行警示的法律依据", required=False, rows=2, max_length=1000, help_text="未曾列入对应的重点关注名单而直接列入的，须写明法律规定可以直接列入的条款。")

    def __init__(self, *args, list_type: ListType, departments: list | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.list_type = list_type
        if departments is None:  # an operator: its own department
            del self.fields["department"]
        else:
            self.fields["department"].required = True
            self.fields["department"].error_messages["required"] = "请选择认定机关"
            self.fields["department"].choices = [("", "请选择"), *((d.code, d.name) for d in departments)]
        if not list_type.record_persons:
            del self.fields["legal_rep"], self.fields["responsible"]
        if not list_type.warning_first:
            del self.fields["warning_exemption"]
        if not self.is_bound:
            self.initial.setdefault("legal_basis", list_type.legal_basis)

    def clean_subject(self):
        from xinyong.subjects.identifiers import clean_id_number, clean_uscc, id_lookup_hash
        from xinyong.subjects.models import Subject

        raw = "".join(self.cleaned_data["subject"].split()).upper()
        try:
            code = clean_uscc(raw)
            subject = Subject.objects.filter(uscc=code).first()
        except Exception:  # not a USCC: an ID number?
            try:
                subject = Subject.objects.filter(id_hash=id_lookup_hash(clean_id_number(raw))).first()
            except Exception:
                raise forms.ValidationError("不是有效的统一社会信用代码或公民身份号码（请检查校验位）") from None
        if subject is None:
            raise forms.ValidationError("平台中没有该主体的信用档案")
        return subject

    def clean_basis_records(self):
        raw = self.cleaned_data.get("basis_records", "").replace("，", ",").replace(",", " ").split()
        ids = []
        for part in raw:
            if not part.isdigit() or len(part) > 18:
                raise forms.ValidationError(f"“{part}”不是记录编号")
            ids.append(int(part))
        return ids

    def persons(self) -> list[dict]:
        d = self.cleaned_data
        out = []
        if d.get("legal_rep", "").strip():
            out.append({"role": "法定代表人", "name": d["legal_rep"].strip()})
        for line in (d.get("responsible") or "").splitlines():
            parts = line.split()
            if len(parts) >= 2:
                out.append({"role": " ".join(parts[:-1]), "name": parts[-1]})
            elif parts:
                out.append({"role": "相关责任人", "name": parts[0]})
        return out


class NotifyForm(StepForm):
    notice = _text("告知内容", required=False, rows=6, help_text="留空则按拟列入的事实、理由和依据生成告知书（含陈述申辩的权利和期限）。")


class StatementForm(StepForm):
    statement = _text("当事人陈述申辩内容", rows=4, message="请填写当事人陈述申辩的内容")


class DecideForm(StepForm):
    decision_no = forms.CharField(label="列入决定文书号", max_length=100, error_messages={"required": "请填写列入决定文书号"})
    measures = _text("惩戒或激励措施")
    removal_terms = _text("移出条件和程序")
    remedies = _text("救济途径")
    statement_reply = _text("陈述申辩核实及采纳情况", required=False, help_text="当事人提出陈述申辩的，须写明核实情况及是否采纳的理由。")
    term_months = forms.IntegerField(label="列入期限（月）", required=False, min_value=1, error_messages={"invalid": "请填写整数月数", "min_value": "列入期限至少1个月"})
    market_exit = forms.BooleanField(label="实施市场退出（市场退出）", required=False)

    def __init__(self, *args, list_type: ListType, **kwargs):
        super().__init__(*args, **kwargs)
        if not list_type.market_exit:
            del self.fields["market_exit"]
        if list_type.duration_months:
            self.fields["term_months"].max_value = list_type.duration_months
            self.fields["term_months"].help_text = f"留空为最长期限{list_type.duration_months}个月。"
            self.fields["term_months"].validators.append(_max_months(list_type.duration_months))
        else:
            del self.fields["term_months"]
        if not self.is_bound:
            self.initial.update(measures=default_measures(list_type), removal_terms=default_removal_terms(list_type), remedies=DEFAULT_REMEDIES)


def _max_months(limit: int):
    def check(value):
        if value is not None and value > limit:
            raise forms.ValidationError(f"列入期限最长{limit}个月")

    return check


class DropForm(StepForm):
    reason = _text("不予列入的理由", max_length=500, message="请写明不予列入的理由")


class RemoveForm(StepForm):
    kind = forms.ChoiceField(label="移出方式", choices=[("repair", "信用修复，提前移出"), ("revocation", "撤销列入决定")], widget=forms.RadioSelect, error_messages={"required": "请选择移出方式"})
    reason = _text("移出理由", max_length=400, message="请写明移出的理由")
