import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinyong.settings.base")
application = get_wsgi_application()

# SQLite: the WAL is copied into the database file by a thread of each server process, not by
# the request whose commit crosses the threshold (common/db.py)
from xinyong.common.db import start_wal_checkpoints  # noqa: E402

start_wal_checkpoints()

# the objects of the loaded application (some 140,000: modules, classes, the catalog,
# the measures) kept out of the garbage collector's full collections, which otherwise traverse
# them all: a full collection paused a check 100 ms, 10-17 ms with them frozen (each gunicorn
# worker imports this module after its fork)
import gc  # noqa: E402

gc.collect()
gc.freeze()
