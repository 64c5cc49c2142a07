"""The one place that reads the environment.

Every setting that an operator may change comes from here: an environment variable, or a key
file under the key directory (outside the database). Nothing else in the code reads os.environ.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise SystemExit(f"{name} must be an integer, got {value!r}") from exc


def var_dir() -> Path:
    return Path(env_str("XINYONG_VAR_DIR", str(BASE_DIR / "var")))


def key_dir() -> Path:
    return Path(env_str("XINYONG_KEY_DIR", str(var_dir() / "keys")))


def read_key(env_name: str, file_name: str, *, generate: bool, make=None) -> str:
    """A secret from the environment, else from a key file; generated on first use in dev."""
    value = env_str(env_name)
    if value:
        return value
    path = key_dir() / file_name
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    if not generate:
        raise SystemExit(
            f"Missing secret: set {env_name} or create the key file {path} "
            f"(see docs/operations.md, 'Keys')."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make() if make else secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(value + "\n")
    return value
