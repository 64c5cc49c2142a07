"""The `xinyong` command: Django's management commands plus the platform's own.

    xinyong migrate | serve [--port N] | demo | ingest | template | catalog list --json | worker ...
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinyong.settings.base")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["xinyong", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
