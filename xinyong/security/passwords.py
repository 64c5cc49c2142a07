"""Password policy beyond Django's validators (configured in settings.AUTH_PASSWORD_VALIDATORS:
length, common passwords, all digits, similarity to the user's name): no reuse of the last
XINYONG_PASSWORD_HISTORY passwords, and password age (XINYONG_PASSWORD_MAX_AGE_DAYS).

`PasswordHistoryValidator.password_changed` is called by Django whenever a user is saved after
`set_password` (any page, the admin, `changepassword`): it records the new hash and the time of
the change, so the history and the age do not depend on which page changed the password.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import MinimumLengthValidator
from django.core.exceptions import ValidationError
from django.utils import timezone

from .models import PasswordHistory, StaffSecurity


def _history_size() -> int:
    return max(int(settings.XINYONG["STAFF_AUTH"]["PASSWORD_HISTORY"]), 0)


class ChineseMinimumLengthValidator(MinimumLengthValidator):
    """Django's length rule with its message in Chinese (Django's zh-Hans catalogue lacks the
    plural form of "This password is too short", so users saw English)."""

    def get_error_message(self):
        return f"密码长度太短，至少需要 {self.min_length} 个字符。"

    def get_help_text(self):
        return f"密码至少需要 {self.min_length} 个字符。"


class PasswordHistoryValidator:
    def validate(self, password, user=None):
        if user is None or not getattr(user, "pk", None) or not _history_size():
            return
        hashes = list(PasswordHistory.objects.filter(user_id=user.pk).values_list("password", flat=True)[: _history_size()])
        hashes.append(user.password)  # the current password (validation runs before it is replaced)
        if any(check_password(password, h) for h in hashes if h):
            raise ValidationError(f"不能使用最近用过的 {_history_size()} 个密码之一，请设置一个新密码。", code="password_reused")

    def get_help_text(self):
        return f"不能与最近用过的 {_history_size()} 个密码相同。"

    def password_changed(self, password, user=None):
        if user is None or not getattr(user, "pk", None) or not user.password:
            return
        now = timezone.now()
        StaffSecurity.objects.update_or_create(user_id=user.pk, defaults={"password_changed_at": now})
        keep = _history_size()
        if not keep:
            return
        PasswordHistory.objects.create(user_id=user.pk, password=user.password, created_at=now)
        old = PasswordHistory.objects.filter(user_id=user.pk).values_list("pk", flat=True)[keep:]
        PasswordHistory.objects.filter(pk__in=list(old)).delete()


def password_expired(user, *, now=None) -> bool:
    """Whether the user's password is older than XINYONG_PASSWORD_MAX_AGE_DAYS (never when 0).
    A password set outside Django's set_password (none recorded) counts from the user's creation."""
    days = settings.XINYONG["STAFF_AUTH"]["PASSWORD_MAX_AGE_DAYS"]
    if not days:
        return False
    changed = StaffSecurity.objects.filter(user_id=user.pk).values_list("password_changed_at", flat=True).first()
    changed = changed or user.date_joined
    return (now or timezone.now()) - changed > timedelta(days=days)
