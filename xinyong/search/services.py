"""Writes of the search index: the rebuild (set-up, repair) and following the change feed.
The index is derived data: it holds nothing that is not in the subjects and records, and can be
rebuilt at any time (indexer.py has the how)."""

from __future__ import annotations

from datetime import date

from xinyong.security.services import Actor, audit_log

from . import indexer


def search_rebuild(*, actor: Actor, day: date | None = None, progress=None) -> dict:
    """Rebuild the whole index from scratch (one transaction), and record who asked for it."""
    summary = indexer.index_rebuild(day=day, progress=progress)
    audit_log(actor=actor, action="search.rebuild", object_type="search_index", detail=summary)
    return summary


def search_update(*, day: date | None = None, budget_seconds: float | None = None) -> dict:
    """Apply the change feed's pending events (a first run on a fresh database rebuilds)."""
    return indexer.index_follow_feed(day=day, budget_seconds=budget_seconds)
