"""The credit report as a PDF, drawn from its content snapshot with reportlab.

The PDF is a function of the snapshot, the verification code and the verification address
alone: no clock, no database. Drawn with `invariant` (no random document id, the creation date
is the issuing time), the same inputs give the same bytes, so a stored snapshot fully accounts
for the file that was handed out.

Typography: Noto Sans SC (思源黑体), Regular and Bold, subset to GB 2312 and the platform's own
texts (fonts/README.md), embedded — the report looks the same in every viewer and on paper.
A character outside the subset (a rare character in a name) is drawn with the PDF standard CJK
font STSong-Light (Adobe-GB1) instead of an empty box; viewers supply that font themselves.
Chinese lines break between any two characters (reportlab's CJK wrapping), A4, 10 pt body.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.tables import CellStyle

from .codes import show_code, show_number

FONT_DIR = Path(__file__).resolve().parent / "fonts"
REGULAR, BOLD, FALLBACK = "XYNotoSansSC", "XYNotoSansSC-Bold", "STSong-Light"
ISSUER = "吉林省公共信用信息平台（信用吉林）"
INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#555555")
RULE = colors.HexColor("#9aa5b1")
ACCENT = colors.HexColor("#0b4f8a")
HEAD_BG = colors.HexColor("#e8eef5")
LABEL_BG = colors.HexColor("#f5f7fa")
WARN = colors.HexColor("#8a3b00")
PAGE_W, PAGE_H = A4
MARGIN_X = 18 * mm
CONTENT_W = PAGE_W - 2 * MARGIN_X
NUMERALS = "一二三四五六七八九十"

_lock = threading.Lock()
_covered: frozenset[int] = frozenset()


def _register_fonts() -> frozenset[int]:
    """Register the embedded fonts once per process (parsing them takes ~0.3 s each)."""
    global _covered
    if _covered:
        return _covered
    with _lock:
        if not _covered:
            regular = TTFont(REGULAR, str(FONT_DIR / "NotoSansSC-Regular.ttf"))
            bold = TTFont(BOLD, str(FONT_DIR / "NotoSansSC-Bold.ttf"))
            pdfmetrics.registerFont(regular)
            pdfmetrics.registerFont(bold)
            pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
            pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
            _chinese_line_breaking()
            _covered = frozenset(regular.face.charToGlyph) & frozenset(bold.face.charToGlyph)
    return _covered


# Chinese punctuation that may not begin a line (标点禁则): reportlab's CJK wrapping knows the
# Japanese set; these join it, and hang in the margin at the end of the previous line instead
CANNOT_START = "，。、；：！？）》〉」』】〕〗”’…％‰℃"


def _chinese_line_breaking() -> None:
    from reportlab.lib import textsplit
    from reportlab.platypus import paragraph as rl_paragraph

    extra = "".join(c for c in CANNOT_START if c not in textsplit.ALL_CANNOT_START)
    textsplit.ALL_CANNOT_START += extra
    rl_paragraph.ALL_CANNOT_START = textsplit.ALL_CANNOT_START


def covered_chars() -> frozenset[int]:
    """The code points the embedded fonts draw."""
    return _register_fonts()


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int


# ---------------------------------------------------------------------- text
def markup(text) -> str:
    """Paragraph markup for plain text: escaped, line breaks kept, characters the embedded font
    lacks set in the fallback font."""
    text = "" if text is None else str(text)
    return "".join(_run(run, fallback) for fallback, run in _runs(text))


def _run(text: str, fallback: bool) -> str:
    body = escape(text).replace("\r\n", "\n").replace("\n", "<br/>")
    return f'<font name="{FALLBACK}">{body}</font>' if fallback else body


def _plain_ok(text: str, font: str, size: float, width: float) -> bool:
    """Whether text can be a plain table cell (one line, every character in the font): plain
    strings are ten times cheaper to lay out than paragraphs."""
    return "\n" not in text and all(ord(c) in _covered for c in text) and pdfmetrics.stringWidth(text, font, size) <= width


class Styles:
    def __init__(self):
        base = ParagraphStyle("body", fontName=REGULAR, fontSize=9.5, leading=14, textColor=INK, wordWrap="CJK")
        self.body = base
        self.title = ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=24, leading=32, alignment=TA_CENTER, textColor=ACCENT, spaceAfter=2)
        self.subtitle = ParagraphStyle("subtitle", parent=base, fontSize=11, leading=16, alignment=TA_CENTER, textColor=MUTED, spaceAfter=10)
        self.h1 = ParagraphStyle("h1", parent=base, fontName=BOLD, fontSize=13, leading=18, spaceBefore=12, spaceAfter=6, textColor=ACCENT, keepWithNext=1)
        self.h2 = ParagraphStyle("h2", parent=base, fontName=BOLD, fontSize=10, leading=14, textColor=INK)
        self.cell = ParagraphStyle("cell", parent=base, fontSize=9, leading=12.5)
        self.label = ParagraphStyle("label", parent=self.cell, textColor=MUTED)
        self.small = ParagraphStyle("small", parent=base, fontSize=8.5, leading=12.5, textColor=MUTED)
        self.note = ParagraphStyle("note", parent=base, fontSize=9, leading=14, firstLineIndent=18)
        self.empty = ParagraphStyle("empty", parent=base, textColor=MUTED, leftIndent=4)


# ---------------------------------------------------------------------- pages
class _NumberedCanvas(Canvas):
    """Defers each page until the end so every page can say 第 n 页 共 N 页."""

    footer: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            _draw_frame(self, self._pageNumber, total, self.footer)
            super().showPage()
        super().save()


def _draw_frame(c: Canvas, page: int, total: int, info: dict) -> None:
    c.saveState()
    # header
    c.setFont(REGULAR, 8.5)
    c.setFillColor(MUTED)
    _draw_runs(c, MARGIN_X, PAGE_H - 12 * mm, f"公共信用信息报告 · {info['subject']}"[:60], 8.5)
    c.drawRightString(PAGE_W - MARGIN_X, PAGE_H - 12 * mm, f"报告编号：{info['number']}")
    c.setStrokeColor(RULE)
    c.setLineWidth(0.6)
    c.line(MARGIN_X, PAGE_H - 14 * mm, PAGE_W - MARGIN_X, PAGE_H - 14 * mm)
    # footer: what the report is and is not, how to verify it, page numbers
    c.line(MARGIN_X, 20 * mm, PAGE_W - MARGIN_X, 20 * mm)
    c.setFont(REGULAR, 7.5)
    c.drawString(MARGIN_X, 16 * mm, "本报告仅载明出具时点依法公开且在公示期内的公共信用信息，不是信用评价、信用评级，也不是无违法违规证明。")
    c.drawString(MARGIN_X, 12 * mm, f"核验：{info['verify_page']}　报告编号 {info['number']}　验证码 {info['code']}")
    c.setFont(REGULAR, 8.5)
    c.drawRightString(PAGE_W - MARGIN_X, 12 * mm, f"第 {page} 页 共 {total} 页")
    c.restoreState()


def _draw_runs(c: Canvas, x: float, y: float, text: str, size: float) -> None:
    """drawString in the embedded font, with the fallback font for characters it lacks."""
    for fallback, run in _runs(text):
        font = FALLBACK if fallback else REGULAR
        c.setFont(font, size)
        c.drawString(x, y, run)
        x += pdfmetrics.stringWidth(run, font, size)


def _runs(text: str) -> list[tuple[bool, str]]:
    """The text cut into (needs the fallback font, run) pieces."""
    covered = _covered
    if all(ord(ch) in covered for ch in text):
        return [(False, text)] if text else []
    out: list[tuple[bool, list[str]]] = []
    for ch in text:
        missing = ord(ch) not in covered and ch not in "\n\r\t"
        if out and out[-1][0] == missing:
            out[-1][1].append(ch)
        else:
            out.append((missing, [ch]))
    return [(missing, "".join(chars)) for missing, chars in out]


# ---------------------------------------------------------------------- the document
def _pdf_date(issued: datetime):
    offset = issued.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    stamp = f"D:{issued:%Y%m%d%H%M%S}{sign}{abs(minutes) // 60:02d}'{abs(minutes) % 60:02d}'"
    return lambda *args: stamp


def _chinese_time(issued: datetime) -> str:
    """In the site's time zone (Beijing time), whatever zone the value came in."""
    if timezone.is_aware(issued):
        issued = timezone.localtime(issued)
    return f"{issued.year}年{issued.month}月{issued.day}日 {issued:%H:%M:%S}"


def _chinese_date(iso: str | None) -> str:
    if not iso:
        return ""
    y, m, d = iso[:10].split("-")
    return f"{int(y)}年{int(m)}月{int(d)}日"


def render(snapshot: dict, *, code: str, verify_url: str, verify_page: str) -> RenderedPdf:
    """The PDF of a report. `verify_url`: the QR code's target (this report's verification);
    `verify_page`: the verification page's address, printed in the footer."""
    _register_fonts()
    file = snapshot["file"]
    basics = file["basics"]
    issued = datetime.fromisoformat(snapshot["issued_at"])
    number = show_number(snapshot["number"])
    st = Styles()
    buf = BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=20 * mm,
        bottomMargin=25 * mm,
        title=f"公共信用信息报告 {number}",
        author=ISSUER,
        subject=f"{basics['name']} 公共信用信息报告",
        creator="xinyong 信用吉林",
        keywords=f"公共信用信息报告 {number}",
        invariant=1,
        lang="zh-CN",
    )
    footer = {"subject": basics["name"], "number": number, "code": show_code(code), "verify_page": verify_page}
    canvas_class = type("ReportCanvas", (_NumberedCanvas,), {"footer": footer})

    def first_page(c: Canvas, _doc):
        c.setDateFormatter(_pdf_date(issued))

    story = []
    story += _cover(snapshot, st, number=number, code=code, issued=issued, verify_url=verify_url)
    n = 1
    story.append(Paragraph(f"{_numeral(n)}、登记注册基本信息", st.h1))
    story.append(_basics_table(basics, st))
    for section in file["sections"]:
        n += 1
        facts = section["facts"]
        story.append(Paragraph(f"{_numeral(n)}、{markup(section['title'])}（{len(facts)} 条）", st.h1))
        if not facts:
            story.append(Paragraph(f"报告出具时，该主体没有公示中的{markup(section['title'])}。", st.empty))
        for i, fact in enumerate(facts, 1):
            story.append(_fact_table(i, fact, st))
            story.append(Spacer(1, 5))
    n += 1
    story.append(Paragraph(f"{_numeral(n)}、信用名单信息（{len(file['memberships'])} 个）", st.h1))
    story.append(_lists_table(file["memberships"], st))
    n += 1
    story.append(KeepTogether([Paragraph(f"{_numeral(n)}、报告说明", st.h1), *[Paragraph(markup(t), st.note) for t in _notes(verify_page)]]))
    doc.build(story, onFirstPage=first_page, canvasmaker=canvas_class)
    return RenderedPdf(buf.getvalue(), doc.page)


def _numeral(n: int) -> str:
    if n <= 10:
        return NUMERALS[n - 1] if n else "〇"
    tens, ones = divmod(n, 10)
    return f"{'' if tens == 1 else NUMERALS[tens - 1]}十{NUMERALS[ones - 1] if ones else ''}"


def _cover(snapshot: dict, st: Styles, *, number: str, code: str, issued: datetime, verify_url: str) -> list:
    file = snapshot["file"]
    basics = file["basics"]
    rows = [
        ("主体名称", basics["name"]),
        (basics.get("code_label") or "统一社会信用代码", basics["code"]),
        ("报告编号", number),
        ("验证码", show_code(code)),
        ("出具时间", _chinese_time(issued)),
        ("信息截至", f"{_chinese_date(snapshot['as_of'])}（按当日的公示期）"),
        ("数据更新至", _chinese_time(datetime.fromisoformat(file["data_as_of"])) if file.get("data_as_of") else "—"),
        ("出具单位", ISSUER),
    ]
    info = Table(
        [[Paragraph(markup(k), st.label), Paragraph(markup(v), st.cell)] for k, v in rows],
        colWidths=[24 * mm, CONTENT_W - 24 * mm - 44 * mm],
        style=TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LINEBELOW", (0, 0), (-1, -2), 0.3, RULE), ("BOTTOMPADDING", (0, 0), (-1, -1), 3), ("TOPPADDING", (0, 0), (-1, -1), 3)]),
    )
    qr = QrCodeWidget(verify_url, barLevel="M")
    x1, y1, x2, y2 = qr.getBounds()
    size = 38 * mm
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(qr)
    qr_cell = [drawing, Paragraph("扫码核验报告真伪", ParagraphStyle("qrc", parent=st.small, alignment=TA_CENTER))]
    head = Table(
        [[info, qr_cell]],
        colWidths=[CONTENT_W - 44 * mm, 44 * mm],
        style=TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (1, 0), (1, 0), "CENTER"), ("BOX", (0, 0), (-1, -1), 0.8, ACCENT), ("LEFTPADDING", (0, 0), (-1, -1), 6), ("RIGHTPADDING", (0, 0), (-1, -1), 6), ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]),
    )
    total = file.get("facts_total", sum(len(s["facts"]) for s in file["sections"]))
    summary = [["栏目", "条数"]] + [[s["title"], str(len(s["facts"]))] for s in file["sections"]] + [["信用名单", str(len(file["memberships"]))]]
    summary_table = Table(
        [[Paragraph(markup(a), st.cell), b] for a, b in summary],
        colWidths=[CONTENT_W - 30 * mm, 30 * mm],
        repeatRows=1,
        style=TableStyle([
            ("FONT", (0, 0), (-1, -1), REGULAR, 9),
            ("FONT", (0, 0), (-1, 0), BOLD, 9),
            ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
            ("ALIGN", (1, 0), (1, -1), "RIGHT"),
            ("GRID", (0, 0), (-1, -1), 0.3, RULE),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]),
    )
    out = [
        Paragraph("公共信用信息报告", st.title),
        Paragraph("（法人和非法人组织）", st.subtitle),
        head,
        Spacer(1, 8),
        Paragraph(
            markup(
                f"本报告依据{ISSUER}在出具时点依法公开的公共信用信息生成，内容与“信用吉林”网站该主体的信用档案一致：共 {total} 条公示中的信息"
                + (f"，其中 {file['objections']} 条正在异议处理中（已标注）" if file.get("objections") else "")
                + "。各项信息注明信息来源部门、决定文书号和日期，以原决定文书为准。"
            ),
            st.note,
        ),
        Spacer(1, 6),
        Paragraph("信息概要", st.h2),
        Spacer(1, 3),
        summary_table,
    ]
    return out


def _cell(name: str, **attrs) -> CellStyle:
    style = CellStyle(name)
    for key, value in {"fontname": REGULAR, "fontsize": 9, "leading": 11, "valign": "TOP", "topPadding": 2, "bottomPadding": 2.5, "color": INK, **attrs}.items():
        setattr(style, key, value)
    return style


_CELLS = {"head": _cell("head", valign="MIDDLE"), "label": _cell("label", color=MUTED), "value": _cell("value")}
_PAIR_ROW = (_CELLS["label"], _CELLS["value"], _CELLS["label"], _CELLS["value"])


def _kv_table(rows: list[tuple], st: Styles, *, header=None, objection: bool = False) -> Table:
    """Label/value pairs on a four-column grid: two short pairs share a row, a long value (or a
    row marked wide) spans it — a compact file: a few hundred records stay a few dozen pages."""
    label_w = 33 * mm
    half_w = CONTENT_W / 2 - label_w
    full_w = CONTENT_W - label_w
    data = [] if header is None else [[header, "", "", ""]]
    off = len(data)
    # cell fonts, colours and paddings come from shared cell styles, not table commands (the
    # commands are applied cell by cell, the largest cost of a long report)
    cells = [[_CELLS["head"]] * 4] * off
    style = [
        ("BACKGROUND", (0, off), (0, -1), LABEL_BG),
        ("GRID", (0, 0), (-1, -1), 0.3, RULE),
    ]
    pending: list | None = None  # a short pair waiting for a partner

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            if len(pending) == 2:  # no partner: the value takes the row
                style.append(("SPAN", (1, len(data)), (3, len(data))))
                pending += ["", ""]
            else:
                style.append(("BACKGROUND", (2, len(data)), (2, len(data)), LABEL_BG))
            data.append(pending)
            cells.append(_PAIR_ROW)
            pending = None

    for row in rows:
        label, value, wide = (*row, False)[:3]
        value = str(value) if value not in (None, "") else "—"
        if not wide and _plain_ok(label, REGULAR, 9, label_w - 8) and _plain_ok(value, REGULAR, 9, half_w - 8):
            if pending is None:
                pending = [label, value]
            else:
                pending += [label, value]
                flush()
            continue
        flush()
        style.append(("SPAN", (1, len(data)), (3, len(data))))
        lab = label if _plain_ok(label, REGULAR, 9, label_w - 8) else Paragraph(markup(label), st.label)
        val = value if _plain_ok(value, REGULAR, 9, full_w - 8) else Paragraph(markup(value), st.cell)
        data.append([lab, val, "", ""])
        cells.append(_PAIR_ROW)
    flush()
    if header is not None:
        style += [("SPAN", (0, 0), (3, 0)), ("BACKGROUND", (0, 0), (3, 0), WARN if objection else HEAD_BG)]
    return Table(data, colWidths=[label_w, half_w, label_w, half_w], style=TableStyle(style), cellStyles=[list(r) for r in cells], repeatRows=off, splitByRow=1)


def _basics_table(basics: dict, st: Styles) -> Table:
    rows = [
        ("名称", basics["name"], True),
        (basics.get("code_label") or "统一社会信用代码", basics["code"], True),
        ("主体类型", basics.get("kind_label", "")),
        ("所在地区", basics.get("region_name", "")),
        ("登记状态", basics.get("status", "")),
        ("法定代表人（负责人）", basics.get("legal_rep", "")),
        ("成立日期", basics.get("established") or ""),
        ("登记机关", basics.get("registration_authority", "")),
        ("住所", basics.get("address", "")),
    ]
    rows += [(f["label"], f["value"]) for f in basics.get("extra", [])]
    if basics.get("former_names"):
        rows.append(("曾用名", "；".join(basics["former_names"])))
    if basics.get("source_department"):
        rows.append(("信息来源", f"{basics['source_department']}（{basics.get('source_decided_on') or ''}）"))
    else:
        rows.append(("信息来源", "尚未归集到该主体的登记注册信息"))
    return _kv_table(rows, st)


def _fact_table(index: int, fact: dict, st: Styles) -> Table:
    badges = ""
    if fact.get("severity"):
        badges += f"　［{markup(fact['severity'])}］"
    if fact.get("under_objection"):
        badges += "　［异议处理中］"
    color = "#ffffff" if fact.get("under_objection") else "#1a1a1a"
    header = Paragraph(f'<font color="{color}">{index}. {markup(fact["item_name"])}{badges}</font>', st.h2)
    rows = [
        ("信息来源部门", fact["department"], True),
        (fact.get("document_no_label") or "决定文书号", fact.get("document_no", "")),
        (fact.get("decided_on_label") or "决定日期", fact.get("decided_on", "")),
    ]
    if fact.get("valid_from"):
        rows.append(("有效期自", fact["valid_from"]))
    if fact.get("valid_until"):
        rows.append((fact.get("valid_until_label") or "有效期至", fact["valid_until"]))
    rows.append(("公示截止日期", fact.get("publish_until") or "持续公示"))
    rows += [(f["label"], f["value"]) for f in fact.get("fields", [])]
    if fact.get("under_objection"):
        rows.append(("异议", "信息主体已对该条信息提出异议，正在核查处理；处理期间信息照常公示，处理结果以信息提供部门的答复为准。"))
    return _kv_table(rows, st, header=header, objection=bool(fact.get("under_objection")))


def _lists_table(memberships: list[dict], st: Styles):
    if not memberships:
        return Paragraph("报告出具时，该主体不在公示中的信用名单上。", st.empty)
    head = ["名单", "类别", "列入日期", "有效期至", "认定部门", "依据文书号"]
    widths = [40 * mm, 28 * mm, 21 * mm, 21 * mm, None, 34 * mm]
    widths[4] = CONTENT_W - sum(w for w in widths if w)
    data = [head]
    for m in memberships:
        data.append([
            Paragraph(markup(m["list_name"]), st.cell),
            Paragraph(markup(m.get("list_kind") or "—"), st.cell),
            m.get("listed_on") or "—",
            m.get("expires_on") or "—",
            Paragraph(markup(m.get("department") or "—"), st.cell),
            Paragraph(markup(m.get("document_no") or "—"), st.cell),
        ])
    return Table(
        data,
        colWidths=widths,
        repeatRows=1,
        style=TableStyle([
            ("FONT", (0, 0), (-1, -1), REGULAR, 9),
            ("FONT", (0, 0), (-1, 0), BOLD, 9),
            ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
            ("GRID", (0, 0), (-1, -1), 0.3, RULE),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]),
    )


def _notes(verify_page: str) -> list[str]:
    return [
        f"（一）本报告由{ISSUER}根据申请自动生成，载明出具时点该主体在“信用吉林”网站公开的信用档案：登记注册基本信息，行政许可和行政处罚信息（双公示），表彰荣誉、失信、司法执行、信用评价、信用承诺信息，以及所在的信用名单。",
        "（二）本报告只包括公开类、状态有效且在公示期内的信息；不包括依法只能授权查询或在部门间共享的信息，也不包括已撤销、已修复或公示期满的信息。轻微失信行为的行政处罚信息依规不予公示。",
        "（三）报告中的信息由各数据提供单位依法归集并对其真实性、准确性负责，以原决定文书为准。标注“异议处理中”的信息，信息主体已提出异议，正在核查处理。",
        "（四）本报告不是对信用主体信用状况的评价、评级或担保，不构成“无违法违规记录证明”；未载明某类信息，仅表示出具时点平台没有该类公示中的信息。使用时请注意报告的出具时间。",
        f"（五）核验方法：扫描首页二维码，或访问 {verify_page}，输入报告编号和验证码，可核验本报告是否由平台出具，并查看平台留存的报告内容；同时上传本报告的 PDF 文件，可核验文件是否被改动。",
        "（六）对报告中的信息有异议的，可向信息提供部门或吉林省信用信息中心提出；符合条件的，可依法申请信用修复。",
    ]
