"""Scheduled jobs of the lists.

`lists.update` — derived list entries follow the records (services.lists_update): every minute
it applies the change feed (consumer "lists"), then removes the entries whose publication ended.
Its first run on a database, and its first run after the rules of lists.yaml changed, is a full
rebuild instead (a fresh demo database does not replay millions of events).
"""

from __future__ import annotations

from datetime import timedelta

from xinyong.common.schedule import scheduled

from . import services


@scheduled("lists.update", every=timedelta(minutes=1), title="名单条目随信用记录更新")
def update_lists() -> dict:
    return services.lists_update()
