"""Scheduled jobs of the search index.

`search.update` — every minute: applies the change feed's new events (records added, corrected,
withdrawn, publication ended; subjects renamed) to the index, a chunk per transaction, so that a
new company is found, a renamed one under both names, and an individual leaves the results when
their publication ends. Idempotent; a run stops after a time budget and the next one goes on.
On a fresh database (cursor 0) its first run rebuilds the whole index in bulk instead of
replaying the feed: that is how `xinyong demo`, which ends with `run_due_jobs()`, gets its index.
"""

from __future__ import annotations

from datetime import timedelta

from xinyong.common.schedule import scheduled

from .services import search_update


@scheduled("search.update", every=timedelta(minutes=1), title="信用主体检索索引更新")
def update_index(*, day=None) -> dict:
    return search_update(day=day)
