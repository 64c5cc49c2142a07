"""Two-factor authentication of staff users (credit-centre staff and department operators):
TOTP (RFC 6238: 6 digits, 30-second steps, HMAC-SHA1, as every authenticator app uses) and
single-use recovery codes.

- The secret is made at enrolment, shown once (QR code and text), kept in the session (encrypted)
  until the user confirms it with a code, then stored encrypted with the field keys
  (common/crypto.py). It is never shown again.
- A code is accepted for the current time step and XINYONG_2FA_DRIFT_STEPS either side, and only
  for a step later than the last one used: a code (or an earlier one) is never accepted twice.
- Recovery codes: XINYONG_2FA_RECOVERY_CODES random codes, shown once; only their keyed hashes are
  kept; each works once.
"""

from __future__ import annotations

import hmac
import secrets

import pyotp
import segno
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from xinyong.common.crypto import decrypt, encrypt, lookup_hash

from .models import RecoveryCode, Role, StaffSecurity
from .services import Actor, audit_log

ISSUER = "信用吉林"
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def is_staff_user(user) -> bool:
    """Users of the staff login: credit-centre staff and department operators (not portal accounts)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_staff or user.is_superuser:
        return True
    return Group.objects.filter(user=user, name__in=(Role.PLATFORM_ADMIN, Role.DEPARTMENT_OPERATOR)).exists()


def two_factor_required() -> bool:
    return bool(settings.XINYONG["STAFF_AUTH"]["TWO_FACTOR_REQUIRED"])


def state_for(user) -> StaffSecurity | None:
    return StaffSecurity.objects.filter(user_id=user.pk).first()


def is_enrolled(user) -> bool:
    state = state_for(user)
    return bool(state and state.two_factor_enabled)


# ---------------------------------------------------------------------- enrolment
def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def provisioning_uri(user, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.get_username(), issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The otpauth:// address as an inline SVG QR code (no script, no style attribute)."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff", title="双因素认证二维码", border=4)
    return svg.replace("<svg ", '<svg role="img" aria-label="双因素认证二维码：用身份验证器扫描" ', 1)


def _step_matching(secret: str, code: str, *, after: int) -> int | None:
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(timezone.now())
    drift = max(int(settings.XINYONG["STAFF_AUTH"]["TOTP_DRIFT_STEPS"]), 0)
    found = None
    for step in range(now - drift, now + drift + 1):
        if step > after and hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def enrol(*, user, secret: str, code: str, ip: str | None = None) -> list[str] | None:
    """Confirm enrolment with a code from the app: stores the secret (encrypted) and returns new
    recovery codes (to show once), or None when the code is wrong."""
    step = _step_matching(secret, code, after=0)
    if step is None:
        return None
    with transaction.atomic():
        state, _ = StaffSecurity.objects.select_for_update().get_or_create(user_id=user.pk)
        state.totp_secret_encrypted = encrypt(secret)
        state.totp_confirmed_at = timezone.now()
        state.totp_last_step = step
        state.save(update_fields=["totp_secret_encrypted", "totp_confirmed_at", "totp_last_step"])
        codes = _new_recovery_codes(user)
        audit_log(actor=Actor.for_user(user, ip=ip), action="auth.2fa_enrol", object_type="user", object_id=user.pk)
    return codes


def _new_recovery_codes(user) -> list[str]:
    RecoveryCode.objects.filter(user_id=user.pk).delete()
    count = settings.XINYONG["STAFF_AUTH"]["RECOVERY_CODES"]
    codes = ["-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(4)) for _ in range(3)) for _ in range(count)]
    RecoveryCode.objects.bulk_create([RecoveryCode(user_id=user.pk, code_hash=_recovery_hash(c)) for c in codes])
    return codes


def regenerate_recovery_codes(*, user, ip: str | None = None) -> list[str]:
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        audit_log(actor=Actor.for_user(user, ip=ip), action="auth.2fa_recovery_codes", object_type="user", object_id=user.pk)
    return codes


def _recovery_hash(code: str) -> str:
    return lookup_hash("2fa-recovery:" + "".join(code.lower().split()).replace("-", ""))


def reset(*, user, actor: Actor) -> None:
    """Remove a user's second factor (a lost phone): the user enrols again at the next login."""
    with transaction.atomic():
        StaffSecurity.objects.filter(user_id=user.pk).update(totp_secret_encrypted="", totp_confirmed_at=None, totp_last_step=0)
        RecoveryCode.objects.filter(user_id=user.pk).delete()
        audit_log(actor=actor, action="auth.2fa_reset", object_type="user", object_id=user.pk)


# ---------------------------------------------------------------------- second step
def verify(*, user, code: str) -> str | None:
    """Check a TOTP code or a recovery code; "totp" or "recovery" when accepted (the code is then
    used up), None otherwise."""
    code = (code or "").strip()
    state = state_for(user)
    if state is None or not state.two_factor_enabled:
        return None
    step = _step_matching(decrypt(state.totp_secret_encrypted), code, after=state.totp_last_step)
    if step is not None:
        # conditional update: of two requests with the same code, one wins
        won = StaffSecurity.objects.filter(pk=state.pk, totp_last_step__lt=step).update(totp_last_step=step)
        return "totp" if won else None
    if len(code) >= 12:
        used = RecoveryCode.objects.filter(user_id=user.pk, code_hash=_recovery_hash(code), used_at__isnull=True).update(used_at=timezone.now())
        if used:
            return "recovery"
    return None


def recovery_codes_left(user) -> int:
    return RecoveryCode.objects.filter(user_id=user.pk, used_at__isnull=True).count()
