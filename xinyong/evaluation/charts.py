"""Grade distributions as server-rendered bar charts: no JavaScript, an SVG with a text
alternative and the same numbers in a table beside it (what a screen reader reads)."""

from __future__ import annotations

from dataclasses import dataclass

# one colour per grade position, best first; contrast ≥ 3:1 against white for graphics (WCAG 1.4.11)
PALETTE = ["#1b7f3b", "#2f6db5", "#b7791f", "#b3261e", "#6b3fa0", "#4a5568"]


@dataclass
class Segment:
    grade: str
    name: str
    count: int
    share: float  # 0..1 of the bar
    x: float  # in % of the plot width
    width: float
    colour: str


@dataclass
class Bar:
    label: str
    total: int
    segments: list[Segment]


@dataclass
class Chart:
    title: str
    grades: list[tuple[str, str, str]]  # (code, name, colour), best first
    bars: list[Bar]

    @property
    def height(self) -> int:
        return 28 * len(self.bars) + 8

    def summary(self) -> str:
        """The text alternative: each bar's counts in words."""
        parts = []
        for bar in self.bars:
            counts = "，".join(f"{s.grade}级{s.count}个" for s in bar.segments if s.count)
            parts.append(f"{bar.label}：共{bar.total}个（{counts or '无'}）")
        return f"{self.title}。" + "；".join(parts)


def stacked(title: str, grades: list[tuple[str, str]], groups: dict[str, dict[str, int]], labels: dict[str, str] | None = None) -> Chart:
    """A horizontal 100% stacked bar per group (largest first), segments in grade order."""
    labels = labels or {}
    colours = {code: PALETTE[i % len(PALETTE)] for i, (code, _) in enumerate(grades)}
    bars = []
    for key, counts in sorted(groups.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])):
        total = sum(counts.values())
        x = 0.0
        segments = []
        for code, name in grades:
            n = counts.get(code, 0)
            share = n / total if total else 0.0
            segments.append(Segment(code, name, n, share, round(x * 100, 3), round(share * 100, 3), colours[code]))
            x += share
        bars.append(Bar(labels.get(key, key) or "未填报", total, segments))
    return Chart(title, [(code, name, colours[code]) for code, name in grades], bars)
