"""Row validation driven by the catalog: each field of an item compiles to a converter; a row
gives either clean values or a list of (field label, Chinese reason).

This is the hot path of ingestion: converters are closures built once per batch, code checks are
cached per batch, and nothing here touches the database.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from xinyong.catalog.registry import FieldDef, Item, header_key
from xinyong.subjects.identifiers import InvalidCode, clean_id_number, clean_uscc

from .errorfile import unneutralize

_CTRL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE_FORMS = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_CJK_DATE_SPACES = re.compile(r"\s*([年月])\s*|\s+(?=日)")
_MULTI_SPLIT = re.compile(r"[;；,，、]")
_NUM_CLEAN = re.compile(r"[,，\s]")
EXCEL_EPOCH = date(1899, 12, 30)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
WITHDRAW_REASON_LABEL = "撤销原因"
_MEMO_LIMIT = 200_000


class FieldError(ValueError):
    pass


class _Memo(dict):
    """Raw cell → (kind, value or reason): kind 1 value, 0 error, 2 empty. Stops growing once
    the field's values are seen to rarely repeat, or past a size limit."""

    __slots__ = ("misses", "frozen", "rows")

    def __init__(self, rows: list[int]):
        super().__init__()
        self.misses = 0
        self.frozen = False
        self.rows = rows  # the validator's row counter, shared by its memos


def _convert(conv, memo: _Memo, cell, label: str):
    """A memo miss: convert the cell, remember the result unless the memo is frozen."""
    if cell.__class__ is str and not cell.strip():
        hit = (2, None)
    elif cell.__class__.__name__ == "_Nested":
        hit = (0, f"{label}的值不应为对象或数组")
    else:
        try:
            value = conv(cell)
        except FieldError as exc:
            hit = (0, str(exc))
        else:
            hit = (1, value) if value != "" else (2, None)
    if not memo.frozen and cell.__class__ is str:
        memo.misses += 1
        if len(memo) >= _MEMO_LIMIT or (memo.misses >= 4096 and memo.misses > 0.8 * memo.rows[0]):
            memo.frozen = True
        else:
            memo[cell] = hit
    return hit


def _text(value) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = value if value.isascii() else unicodedata.normalize("NFC", value)
    if _CTRL.search(text):
        text = _CTRL.sub("", text)
    if text[:1] == "'":
        text = unneutralize(text)  # a cell our own error file neutralized
    return text.strip()


def _parse_date(raw, label: str) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    number = getattr(raw, "number", None)
    if number is not None:  # an Excel serial date in a cell not formatted as a date
        if 1 <= number < 2958466 and float(number).is_integer():
            return EXCEL_EPOCH + timedelta(days=int(number))
        if 19000101 <= number <= 99991231 and float(number).is_integer():  # 20250105 typed as a number
            return _date_loose(str(int(number)), label)
        raise FieldError(f"{label}格式应为YYYY-MM-DD（如 2025-01-10）")
    text = raw.strip()
    if not text.isascii():  # full-width digits; spaces around 年 and 月 ("2025 年 1 月 5 日")
        text = unicodedata.normalize("NFKC", text)
        if " " in text:
            text = _CJK_DATE_SPACES.sub(r"\1", text).strip()
    try:
        return date.fromisoformat(text[:10]) if len(text) >= 10 and text[10:11] in ("", " ", "T") and text[4] == "-" else _date_loose(text, label)
    except ValueError:
        return _date_loose(text, label)


def _date_loose(text: str, label: str) -> date:
    m = _DATE_FORMS.match(text) or _DATE_COMPACT.match(text)
    if not m:
        # "2025-01-10 00:00:00" exported by some systems
        head = text.split(" ")[0].split("T")[0]
        m = _DATE_FORMS.match(head) or _DATE_COMPACT.match(head)
        if not m:
            raise FieldError(f"{label}格式应为YYYY-MM-DD（如 2025-01-10）")
    y, mo, d = (int(x) for x in m.groups())
    try:
        return date(y, mo, d)
    except ValueError as exc:
        raise FieldError(f"{label}不是存在的日期（{y}年{mo}月{d}日）") from exc


class RowValidator:
    """Validate rows of one item (mode: submit / correct / withdraw)."""

    def __init__(self, item: Item, *, today: date, mode: str = "submit", regions: set[str] | None = None, typed_cells: bool = True):
        self.item = item
        self.today = today
        self.mode = mode
        self.regions = regions or set()
        self._uscc_cache: dict[str, tuple[str | None, str | None]] = {}
        self._id_cache: dict[str, tuple[str | None, str | None]] = {}
        fields = item.fields
        if mode == "withdraw":
            keep = set(item.key_fields) | {f.name for f in fields if f.role in ("subject_name", "subject_category", "uscc", "id_number", "source_id", "reg_no", "org_code", "tax_no", "institution_no", "social_org_no", "id_type")}
            fields = tuple(f for f in fields if f.name in keep)
        self.fields = fields
        self.converters = [(f, self._converter(f)) for f in fields]
        # per field: a memo of raw cell → result (cells repeat a lot: categories, dates,
        # authorities, a subject's code and name); it stops growing for a field whose values
        # rarely repeat (facts, document numbers). See _compile.
        # typed_cells: rows may hold dates or Excel numbers besides text (XLSX, or callers in
        # code); the memo then answers for plain text cells only. CSV and JSON rows are text.
        self._typed_cells = typed_cells
        self._required_when = [f for f in fields if f.required_when]
        self._rows = [0]
        self._memos = [(_Memo(self._rows), conv) for _, conv in self.converters]
        self._compiled_for: dict[tuple, object] = {}
        self.cross = [(f, f.not_before) for f in fields if f.not_before and any(g.name == f.not_before for g in fields)]
        self.row_rules = [r for r in item.row_rules if all(k in {f.name for f in fields} for k, _ in r.when)] if mode != "withdraw" else [
            r for r in item.row_rules if not r.require or all(x in {f.name for f in fields} for x in r.require)
        ]
        self._labels = {f.name: f.label for f in item.fields}
        self._key_map: tuple | None = None
        self._mapping: list[tuple[str, str]] = []
        self.unknown_columns: list[str] = []
        self.withdraw_reason_header: str | None = None

    # -------------------------------------------------------------- headers
    def map_headers(self, headers) -> list[str]:
        """Map column headers to fields; returns the list of missing required columns' labels."""
        headers_map = self.item.headers
        mapping = []
        unknown = []
        seen: dict[str, str] = {}
        for h in headers:
            key = header_key(h)
            fname = headers_map.get(key)
            if fname is None:
                if key == header_key(WITHDRAW_REASON_LABEL):
                    self.withdraw_reason_header = h
                elif h and not h.startswith("【") and not h.startswith("__"):
                    unknown.append(h)
                continue
            if fname in seen:
                from xinyong.common.errors import FileRejected

                raise FileRejected(
                    f"“{seen[fname]}”和“{h}”是同一字段（{self._labels[fname]}），只能保留一列",
                    code="duplicate_column",
                    fields={"column": h},
                )
            seen[fname] = h
            mapping.append((h, fname))
        self._mapping = mapping
        self._key_map = tuple(headers)
        self.unknown_columns = unknown
        present = set(seen)
        return [f.label for f in self.fields if f.required and f.name not in present]

    def extract(self, row: dict) -> dict:
        keys = tuple(row)
        if keys != self._key_map:
            self.map_headers(keys)
        return {fname: row[h] for h, fname in self._mapping}

    # -------------------------------------------------------------- converters
    def _converter(self, f: FieldDef):
        label = f.label
        t = f.type
        max_length = f.max_length
        today = self.today
        if t in ("string", "text"):
            pattern = re.compile(f.pattern) if f.pattern else None
            pmsg = f.pattern_message or f"{label}格式不正确"

            required = f.required

            def conv(raw):
                text = _text(raw)
                if max_length and len(text) > max_length:
                    raise FieldError(f"{label}超过{max_length}个字符（实为{len(text)}个）")
                if pattern and text and not pattern.match(text):
                    raise FieldError(pmsg)
                if not text and required:  # the cell held only control characters
                    raise FieldError(f"必填项“{label}”为空")
                return text

            return conv
        if t == "enum":
            choices = set(f.choices)
            multi = f.multi
            shown = "、".join(f.choices[:12])

            def conv(raw):
                text = _text(raw)
                if not text.isascii():
                    text = unicodedata.normalize("NFKC", text).strip()
                if multi:
                    parts = [p.strip() for p in _MULTI_SPLIT.split(text) if p.strip()]
                    bad = [p for p in parts if p not in choices]
                    if bad:
                        raise FieldError(f"{label}的取值“{bad[0][:20]}”不在允许范围内（{shown}）")
                    return "；".join(dict.fromkeys(parts))
                if text not in choices:
                    raise FieldError(f"{label}的取值“{text[:20]}”不在允许范围内（{shown}）")
                return text

            return conv
        if t == "date":
            allow = set(f.allow)
            not_future = f.not_future
            mn, mx = f.min, f.max

            def conv(raw):
                if allow and isinstance(raw, str) and raw.strip() in allow:
                    return raw.strip()
                value = _parse_date(raw, label)
                if not_future and value > today:
                    raise FieldError(f"{label}晚于今天（{value.isoformat()}）")
                if mn and value < mn:
                    raise FieldError(f"{label}早于{mn.isoformat()}")
                if mx and value > mx:
                    raise FieldError(f"{label}晚于{mx.isoformat()}")
                if value.year < 1900:
                    raise FieldError(f"{label}年份不合理（{value.year}）")
                return value

            return conv
        if t == "decimal":
            mn = Decimal(str(f.min)) if f.min is not None else None
            mx = Decimal(str(f.max)) if f.max is not None else None
            places = f.decimals

            def conv(raw):
                text = _text(raw)
                if not text.isascii():
                    text = unicodedata.normalize("NFKC", text)
                text = _NUM_CLEAN.sub("", text)
                try:
                    value = Decimal(text)
                except InvalidOperation as exc:
                    raise FieldError(f"{label}应为数字") from exc
                if not value.is_finite():
                    raise FieldError(f"{label}应为数字")
                if mn is not None and value < mn:
                    raise FieldError(f"{label}不能小于{mn}")
                if mx is not None and value > mx:
                    raise FieldError(f"{label}不能大于{mx}")
                if places is not None and -value.as_tuple().exponent > places:
                    raise FieldError(f"{label}最多保留{places}位小数")
                return value

            return conv
        if t in ("integer", "year"):
            mn = f.min
            mx = f.max if f.max is not None else (today.year if t == "year" else None)

            def conv(raw):
                text = _text(raw)
                if not text.isascii():
                    text = unicodedata.normalize("NFKC", text)
                if text.endswith(".0"):
                    text = text[:-2]
                if t == "year" and text.endswith("年"):
                    text = text[:-1]
                try:
                    value = int(text)
                except ValueError as exc:
                    raise FieldError(f"{label}应为整数") from exc
                if mn is not None and value < mn:
                    raise FieldError(f"{label}不能小于{mn}")
                if mx is not None and value > mx:
                    raise FieldError(f"{label}不能大于{mx}")
                return value

            return conv
        if t == "uscc":
            cache = self._uscc_cache

            def conv(raw):
                if getattr(raw, "number", None) is not None:
                    raise FieldError(f"{label}在 Excel 中被存为数字，请将该列设为文本格式后重新填写")
                hit = cache.get(raw)
                if hit is None:
                    try:
                        hit = (clean_uscc(raw if isinstance(raw, str) else _text(raw)), None)
                    except InvalidCode as exc:
                        msg = str(exc)
                        hit = (None, label + msg[len("统一社会信用代码"):] if msg.startswith("统一社会信用代码") else f"{label}：{msg}")
                    cache[raw] = hit
                if hit[1]:
                    raise FieldError(hit[1])
                return hit[0]

            return conv
        if t == "id_number":
            cache = self._id_cache

            def conv(raw):
                if getattr(raw, "number", None) is not None:
                    raise FieldError(f"{label}在 Excel 中被存为数字，末几位已丢失；请将该列设为文本格式后重新填写")
                hit = cache.get(raw)
                if hit is None:
                    try:
                        hit = (clean_id_number(raw if isinstance(raw, str) else _text(raw)), None)
                    except InvalidCode as exc:
                        msg = str(exc)
                        hit = (None, label + msg[len("公民身份号码"):] if msg.startswith("公民身份号码") else f"{label}：{msg}")
                    cache[raw] = hit
                if hit[1]:
                    raise FieldError(hit[1])
                return hit[0]

            return conv
        if t == "region_code":
            regions = self.regions

            def conv(raw):
                text = _text(raw)
                if text not in regions:
                    raise FieldError(f"{label}“{text[:10]}”不是吉林省的行政区划代码")
                return text

            return conv
        if t == "commitment_code":

            def conv(raw):
                text = _text(raw)
                if not text.isascii():
                    text = unicodedata.normalize("NFKC", text)
                if len(text) != 20 or not text.isdigit():
                    raise FieldError(f"{label}应为20位数字（6位行政区划码+8位日期+6位流水号）")
                try:
                    date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
                except ValueError as exc:
                    raise FieldError(f"{label}第7至14位不是有效日期") from exc
                if not text[:2].isdigit() or text[:2] in ("00",):
                    raise FieldError(f"{label}前6位不是行政区划代码")
                return text

            return conv
        raise AssertionError(f"unhandled field type {t}")

    # -------------------------------------------------------------- rows
    def validate(self, raw: dict) -> tuple[dict, list[tuple[str, str]]]:
        """raw: a row keyed by column header, Chinese label or field name. Returns (values,
        errors): clean values by field name, and (field label, Chinese reason) pairs."""
        self._rows[0] += 1
        keys = tuple(raw)
        fn = self._compiled_for.get(keys)
        if fn is None:
            fn = self._compile(keys)
        return fn(raw)

    def _compile(self, keys: tuple):
        """Generate the function that validates rows with these keys: one straight run of code
        per field present (no loop, no look-ups of field attributes), a memo per field, and the
        "required" errors of absent fields written in. Built once per distinct set of keys."""
        headers_map = self.item.headers
        by_field: dict[str, str] = {}
        for key in keys:
            fname = headers_map.get(header_key(key)) if isinstance(key, str) else None
            if fname is not None and fname not in by_field:
                by_field[fname] = key
        env: dict = {"_convert": _convert}
        lines = ["def validate(raw):", "    values = {}", "    errors = []", "    get = raw.get"]
        for i, ((f, _), (memo, conv)) in enumerate(zip(self.converters, self._memos, strict=True)):
            required_error = (f.label, f"必填项“{f.label}”为空")
            env[f"R{i}"] = required_error
            key = by_field.get(f.name)
            if key is None:
                if f.required:
                    lines.append(f"    errors.append(R{i})")
                continue
            env[f"K{i}"], env[f"M{i}"], env[f"C{i}"], env[f"L{i}"] = key, memo, conv, f.label
            lines += [
                f"    cell = get(K{i})",
                "    if cell:",
                f"        hit = M{i}.get(cell)" + (" if cell.__class__ is str else None" if self._typed_cells else ""),
                "        if hit is None:",
                f"            hit = _convert(C{i}, M{i}, cell, L{i})",
                "        kind = hit[0]",
                "        if kind == 1:",
                f"            values[{f.name!r}] = hit[1]",
                "        elif kind == 0:",
                f"            errors.append((L{i}, hit[1]))",
            ]
            if f.required:
                lines += ["        else:", f"            errors.append(R{i})", "    else:", f"        errors.append(R{i})"]
        lines += self._row_check_lines(env)
        lines.append("    return values, errors")
        exec(compile("\n".join(lines), f"<validator {self.item.code}>", "exec"), env)  # noqa: S102 — code built from the catalog, not from input
        fn = env["validate"]
        if len(self._compiled_for) > 256:  # JSON rows with ever-changing keys: keep memory bounded
            self._compiled_for.clear()
        self._compiled_for[keys] = fn
        return fn

    def _row_check_lines(self, env: dict) -> list[str]:
        """Code for the checks across fields, in this order: conditionally required fields,
        dates not before another date, row rules (a rule is not repeated for a field whose own
        value was already reported)."""
        lines: list[str] = []
        env["_date"] = date
        for n, f in enumerate(self._required_when):
            env[f"RW{n}"] = (f.label, f"必填项“{f.label}”为空")
            conds = " or ".join(f"values.get({k!r}) in {sorted(v)!r}" for k, v in f.required_when)
            lines += [f"    if {f.name!r} not in values and ({conds}):", f"        errors.append(RW{n})"]
        for n, (f, other) in enumerate(self.cross):
            env[f"XL{n}"], env[f"XO{n}"] = f.label, self._labels[other]
            lines += [
                f"    a = values.get({f.name!r})",
                "    if a.__class__ is _date:",
                f"        b = values.get({other!r})",
                "        if b.__class__ is _date and a < b:",
                f"            errors.append((XL{n}, f\"{{XL{n}}}（{{a.isoformat()}}）早于{{XO{n}}}（{{b.isoformat()}}）\"))",
            ]
        for n, rule in enumerate(self.row_rules):
            env[f"RM{n}"] = rule.message or "缺少必填信息"
            when = " and ".join(f"values.get({k!r}) in {sorted(v)!r}" for k, v in rule.when)
            fields = (*rule.require, *rule.require_any)
            env[f"RF{n}"] = frozenset(self._labels[x] for x in fields)
            missing = [f"{x!r} not in values" for x in rule.require]
            if rule.require_any:
                missing.append("(" + " and ".join(f"{x!r} not in values" for x in rule.require_any) + ")")
            if not missing:
                continue
            first = (rule.require or rule.require_any)[0]
            env[f"RL{n}"] = self._labels[first]
            lines += [
                f"    if {when} and ({' or '.join(missing)}):",
                f"        if not errors or not any(label in RF{n} for label, _ in errors):",
                f"            errors.append((RL{n}, RM{n}))",
            ]
        return lines
