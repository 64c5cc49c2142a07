import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinyong.settings.base")
application = get_wsgi_application()

# SQLite: the WAL is copied into the database file by a thread of each server process, not by
# the request whose commit crosses the threshold (common/db.py)
from xinyong.common.db import start_wal_checkpoints  # noqa: E402

start_wal_checkpoints()
