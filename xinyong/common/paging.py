"""Pagination of public listings with a capped count.

Large public listings (双公示 decisions, list entries) never count or sort their whole result
set per request: the count stops at `cap` ("1,000+ 条"), pages beyond it are refused with a
message that asks for narrower filters, and a page is fetched with LIMIT/OFFSET.

    number = parse_page(request.GET.get("page"))          # PageError: not a page number
    page = paginate(fetch=lambda off, n: list(qs[off:off + n]),
                    count=lambda cap: qs[:cap].count(), number=number, size=20, cap=1000)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


class PageError(ValueError):
    """A page number that cannot be shown; the message is Chinese, for people."""

    def __init__(self, message: str, *, last: int = 1):
        super().__init__(message)
        self.message = message
        self.last = last


@dataclass(frozen=True)
class Page:
    number: int
    size: int
    items: list
    total: int  # at most `cap`
    capped: bool  # more than `cap` results exist

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def previous_number(self) -> int:
        return self.number - 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.size + len(self.items)

    @property
    def total_label(self) -> str:
        return f"{self.total:,}+" if self.capped else f"{self.total:,}"

    def window(self, around: int = 2) -> list[int]:
        """Page numbers to link: the first, the last and a few around the current one; 0 marks a gap."""
        shown = sorted({1, self.pages, *range(max(1, self.number - around), min(self.pages, self.number + around) + 1)})
        out: list[int] = []
        for n in shown:
            if out and n - out[-1] > 1:
                out.append(0)
            out.append(n)
        return out


def parse_page(raw) -> int:
    """A page number from a query string: empty → 1; anything else must be a positive integer."""
    text = str(raw if raw is not None else "").strip()
    if not text:
        return 1
    if not text.isascii() or not text.isdigit() or len(text) > 9 or int(text) < 1:
        raise PageError("页码应为正整数")
    return int(text)


def paginate(*, fetch: Callable[[int, int], list], count: Callable[[int], int], number: int, size: int, cap: int) -> Page:
    """The page `number` of at most `cap` results. PageError when it does not exist."""
    found = count(cap + 1)
    capped = found > cap
    total = min(found, cap)
    pages = max(1, -(-total // size))
    if number > pages:
        if capped:
            raise PageError(f"只能翻看前{cap:,}条结果（{pages}页），请增加筛选条件缩小范围", last=pages)
        raise PageError(f"第{number:,}页不存在：共{pages}页", last=pages)
    offset = (number - 1) * size
    return Page(number, size, fetch(offset, min(size, total - offset)) if total else [], total, capped)
