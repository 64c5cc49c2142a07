"""Writes for subject accounts: registration (with real-name verification), authorization
letters and their review, disabling, notifications (站内信 and e-mail), and self-reports.

Every write is one transaction with its audit entry; e-mails leave after the commit.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from xinyong.common import filestore
from xinyong.common.crypto import decrypt, encrypt
from xinyong.common.errors import Conflict, Forbidden, InvalidInput
from xinyong.common.masking import mask_id_number, mask_person_name, mask_phone
from xinyong.common.normalize import normalize_name
from xinyong.common.uploads import EXTENSIONS, check_document
from xinyong.security.services import Actor, audit_log
from xinyong.subjects.identifiers import clean_id_number, clean_uscc, id_lookup_hash
from xinyong.subjects.models import Subject

from . import realname, selectors
from .models import AuthorizationLetter, Notification, SelfReport, SubjectAccount

log = logging.getLogger("xinyong.accounts")

# one message for every refusal of a registration: it never says whether a subject or a person
# exists, whether an account exists already, or which element the real-name check disliked
REGISTRATION_REFUSED = (
    "注册未成功：实名核验未通过，或所填信息不能办理注册。请核对姓名、公民身份号码、手机号码（须为本人实名登记的号码）"
    "和统一社会信用代码后重试；如您已注册过账户，请直接登录。"
)


class RegistrationRefused(InvalidInput):
    code = "registration_refused"


class QuotaExhausted(Forbidden):
    code = "self_report_quota"


# ---------------------------------------------------------------------- registration
def _holder_fields(*, name: str, id_number: str, mobile: str) -> dict:
    return {
        "holder_name_encrypted": encrypt(name),
        "holder_name_masked": mask_person_name(name),
        "holder_id_hash": id_lookup_hash(id_number),
        "holder_id_masked": mask_id_number(id_number),
        "mobile_encrypted": encrypt(mobile),
        "mobile_masked": mask_phone(mobile),
    }


def _is_legal_rep(subject: Subject | None, name: str) -> bool:
    """Registration records hold the legal representative's name (`Subject.legal_rep`), not their
    ID number: the person, verified by the real-name provider, is the legal representative on
    record when the registered subject's legal representative has the same name."""
    if subject is None or subject.is_individual or not subject.registered or not subject.legal_rep:
        return False
    return normalize_name(subject.legal_rep) == normalize_name(name)


def account_register(
    *,
    kind: str,
    name: str,
    id_number: str,
    mobile: str,
    username: str,
    password: str,
    email: str = "",
    uscc: str = "",
    letter=None,
    ip: str | None = None,
) -> SubjectAccount:
    """Register a portal account: an organization's authorized person (kind "organization",
    with the USCC) or an individual (kind "individual").

    The person is verified by the real-name provider first. An individual's account is active at
    once (tied to the subject of the ID number, if the platform has a file on them). An
    organization's account is active at once when the person is the legal representative on
    record; otherwise it waits for an authorization letter (uploaded now or later) that the
    credit centre approves. Every refusal raises RegistrationRefused with the same message, after
    the same work (provider call, subject look-up, password hashing)."""
    if kind not in ("organization", "individual"):
        raise InvalidInput("账户类型无效", fields={"kind": "无效"})
    name = (name or "").strip()
    mobile = (mobile or "").strip()
    id_number = clean_id_number(id_number)  # the form has checked the format already
    code = clean_uscc(uscc) if kind == "organization" else ""
    verdict = realname.get_provider().verify(name=name, id_number=id_number, mobile=mobile)
    holder = _holder_fields(name=name, id_number=id_number, mobile=mobile)
    subject = Subject.objects.filter(uscc=code).first() if code else None
    refusal = "" if verdict.passed else f"realname:{verdict.reason}"
    if not refusal and kind == "individual" and SubjectAccount.objects.filter(kind="individual", subject_id_hash=holder["holder_id_hash"]).exists():
        refusal = "duplicate_individual"
    if not refusal and kind == "organization" and subject is not None and subject.is_individual:
        refusal = "uscc_of_individual"
    if not refusal and kind == "organization" and SubjectAccount.objects.filter(
        kind="organization", uscc=code, holder_id_hash=holder["holder_id_hash"], status__in=("pending", "active")
    ).exists():
        refusal = "duplicate_holder"
    actor = Actor("public", "公众（注册）", ip=ip)
    if refusal:
        make_password(password)  # the same cost as a registration that goes through
        audit_log(actor=actor, action="account.register_refused", object_type="subject_account", detail={"kind": kind, "reason": refusal, "uscc": code})
        raise RegistrationRefused(REGISTRATION_REFUSED)
    now = timezone.now()
    if kind == "individual":
        status, basis = "active", "realname"
    elif _is_legal_rep(subject, name):
        status, basis = "active", "legal_rep"
    else:
        status, basis = "pending", ""
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(username=username, email=email or "", password=password)
            account = SubjectAccount.objects.create(
                user=user,
                kind=kind,
                uscc=code,
                subject_id_hash=holder["holder_id_hash"] if kind == "individual" else "",
                status=status,
                basis=basis,
                verified_at=now,
                activated_at=now if status == "active" else None,
                **holder,
            )
            audit_log(
                actor=Actor("user", username, user_id=user.pk, ip=ip),
                action="account.register",
                object_type="subject_account",
                object_id=account.pk,
                subject_id=subject.pk if subject else None,
                detail={"kind": kind, "status": status, "basis": basis, "uscc": code, "holder_id": holder["holder_id_masked"], "provider": getattr(realname.get_provider(), "name", "")},
            )
            if letter is not None and status == "pending":
                _letter_store(account=account, upload=letter, actor=Actor.for_user(user, ip=ip))
    except IntegrityError as exc:  # a second registration of the same individual at the same moment
        raise RegistrationRefused(REGISTRATION_REFUSED) from exc
    if status == "active":
        notify(user=user, title="账户已启用", body=_welcome(account), url="/my/")
    return account


def _welcome(account: SubjectAccount) -> str:
    if account.kind == "individual":
        return "您的个人账户已通过实名核验并启用，可在“我的信用”查看本人的全部信用信息、下载本人信用报告。"
    return f"您作为统一社会信用代码 {account.uscc} 的法定代表人，账户已启用，可查看本单位的全部信用信息。"


# ---------------------------------------------------------------------- authorization letters
def check_letter(upload) -> tuple[str, bytes]:
    """The content type and the bytes of an acceptable authorization letter (PDF, PNG or JPEG, at
    most LETTER_MAX_KB; `common.uploads.check_document`). InvalidInput with the reason otherwise."""
    if upload is None or not upload.size:
        raise InvalidInput("请选择授权委托书文件", fields={"letter": "必填"})
    doc = check_document(upload, field="letter", max_bytes=int(settings.XINYONG.get("LETTER_MAX_KB", 5120)) * 1024)
    return doc.content_type, doc.data


def _letter_store(*, account: SubjectAccount, upload, actor: Actor) -> AuthorizationLetter:
    content_type, data = check_letter(upload)
    digest = hashlib.sha256(data).hexdigest()
    letter = AuthorizationLetter(account=account, content_type=content_type, size=len(data), sha256=digest)
    # the stored name is ours: nothing of the uploaded file name reaches the disk. The field keeps
    # the name; the bytes are written sealed (encrypted at rest, 0600) where its storage puts them
    field, storage = letter.file.field, letter.file.storage
    name = storage.get_available_name(field.generate_filename(letter, f"letter-{account.pk}-{digest[:16]}.{EXTENSIONS[content_type]}"))
    filestore.write(storage.path(name), data)
    letter.file.name = name
    letter.save()
    audit_log(actor=actor, action="account.letter_upload", object_type="authorization_letter", object_id=letter.pk, detail={"account": account.pk, "type": content_type, "size": len(data), "sha256": digest})
    return letter


def letter_upload(*, account: SubjectAccount, upload, actor: Actor) -> AuthorizationLetter:
    """The authorized person uploads (another) authorization letter: the account waits for review."""
    if account.kind != "organization" or account.status not in ("pending", "refused"):
        raise Conflict("该账户无需上传授权委托书")
    with transaction.atomic():
        letter = _letter_store(account=account, upload=upload, actor=actor)
        if account.status == "refused":
            account.status, account.status_reason = "pending", ""
            account.save(update_fields=["status", "status_reason"])
    return letter


def letter_decide(*, letter: AuthorizationLetter, approve: bool, reason: str, actor: Actor, user) -> SubjectAccount:
    """Credit-centre staff approve or refuse an authorization letter (refusals carry a reason)."""
    reason = (reason or "").strip()
    if not approve and not reason:
        raise InvalidInput("不通过时须写明原因", fields={"reason": "必填"})
    with transaction.atomic():
        letter = AuthorizationLetter.objects.select_for_update().select_related("account").get(pk=letter.pk)
        account = letter.account
        if letter.decision or account.status != "pending":
            raise Conflict("该授权委托书已审核过")
        now = timezone.now()
        letter.decision, letter.decided_at, letter.decided_by, letter.reason = ("approved" if approve else "refused"), now, user, reason[:500]
        letter.save(update_fields=["decision", "decided_at", "decided_by", "reason"])
        if approve:
            account.status, account.basis, account.activated_at, account.status_reason = "active", "authorization", now, ""
        else:
            account.status, account.status_reason = "refused", reason[:500]
        account.decided_by = user
        account.save(update_fields=["status", "basis", "activated_at", "status_reason", "decided_by"])
        audit_log(actor=actor, action="account.letter_approve" if approve else "account.letter_refuse", object_type="subject_account", object_id=account.pk, detail={"letter": letter.pk, "uscc": account.uscc, "reason": reason[:500]})
    if approve:
        notify(user=account.user, title="授权委托书审核通过，账户已启用", body=f"您为统一社会信用代码 {account.uscc} 提交的授权委托书已审核通过，账户已启用。", url="/my/")
    else:
        notify(user=account.user, title="授权委托书未通过审核", body=f"您提交的授权委托书未通过审核。原因：{reason}。您可重新上传。", url="/my/authorization/")
    return account


def account_disable(*, account: SubjectAccount, reason: str, actor: Actor, user) -> SubjectAccount:
    """Staff disable an account (it can no longer log in)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("停用账户须写明原因", fields={"reason": "必填"})
    with transaction.atomic():
        account = SubjectAccount.objects.select_for_update().select_related("user").get(pk=account.pk)
        if account.status == "disabled":
            return account
        before = account.status
        account.status, account.status_reason, account.decided_by = "disabled", reason[:500], user
        account.save(update_fields=["status", "status_reason", "decided_by"])
        account.user.is_active = False
        account.user.save(update_fields=["is_active"])
        audit_log(actor=actor, action="account.disable", object_type="subject_account", object_id=account.pk, detail={"before": before, "uscc": account.uscc, "reason": reason[:500]})
    return account


# ---------------------------------------------------------------------- notifications
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def _mail_safe(text: str, names: set[str]) -> str:
    """An e-mail never carries a full ID number, a full mobile number or an individual's full name."""
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
    text = _MOBILE.sub(lambda m: mask_phone(m.group(0)), text)
    for name in sorted((n for n in names if n and len(n) >= 2), key=len, reverse=True):
        text = text.replace(name, mask_person_name(name))
    return text


def _person_names(account: SubjectAccount | None, subject: Subject | None) -> set[str]:
    names = set()
    if subject is not None and subject.is_individual:
        names.add(subject.name)
    if account is not None and account.holder_name_encrypted:
        try:
            names.add(decrypt(account.holder_name_encrypted))
        except Exception:  # noqa: BLE001 (a key rotated away: nothing to mask with)
            log.warning("holder name not decryptable", extra={"account": account.pk})
    return names


def _absolute(url: str) -> str:
    base = settings.XINYONG["REPORTS"].get("PUBLIC_URL") or ""
    return f"{base}{url}" if url.startswith("/") and base else url


def notify(*, subject: Subject | None = None, user=None, title: str, body: str, url: str = "") -> list[Notification]:
    """A portal notification (站内信) to every active account of `subject`, or to `user`, and an
    e-mail to each of them that has an address (after the commit: inside a test's transaction use
    `django_capture_on_commit_callbacks(execute=True)`). E-mails carry no full ID number, mobile
    number or individual's full name; the portal notification is shown only to its logged-in owner."""
    if (subject is None) == (user is None):
        raise ValueError("notify: give exactly one of subject= or user=")
    title, body, url = title[:200], body, (url or "")[:500]
    if subject is not None:
        targets = [(a.user, a) for a in selectors.subject_accounts(subject).select_related("user")]
    else:
        targets = [(user, selectors.user_account(user))]
    notes: list[Notification] = []
    mails: list[tuple[str, str, str]] = []
    with transaction.atomic():
        for target, account in targets:
            notes.append(Notification.objects.create(user=target, subject=subject, title=title, body=body, url=url))
            if target.email:
                names = _person_names(account, subject)
                text = _mail_safe(body, names)
                link = _absolute(url)
                message = f"{text}\n\n{('详情：' + link) if link else ''}\n\n请登录信用吉林“我的信用”查看站内信。本邮件由系统发送，请勿回复。".replace("\n\n\n\n", "\n\n")
                mails.append((_mail_safe(f"【信用吉林】{title}", names), message, target.email))

    def send() -> None:
        for mail_subject, message, to in mails:
            try:
                send_mail(mail_subject, message, None, [to])
            except Exception:  # noqa: BLE001 (the notification is in the portal; a mail server down must not undo it)
                log.exception("notification mail failed")

    if mails:
        transaction.on_commit(send, robust=True)
    return notes


def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when ids is None); only the user's own."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


# ---------------------------------------------------------------------- self-reports
def quota_message(year: int) -> str:
    n = selectors.free_self_reports_per_year()
    return f"您本年度（{year}年）的 {n} 次免费本人信用报告已用完，{year + 1}年1月1日起可再次下载。本平台不提供付费报告。"


@dataclass(frozen=True)
class SelfReportIssued:
    issued: object  # reports.services.IssuedReport
    left: int | None  # free reports left this year (individuals), None: no quota


def self_report_issue(*, account: SubjectAccount, subject: Subject, actor: Actor, requester: str, site_url: str, at: datetime | None = None) -> SelfReportIssued:
    """The subject's own credit report, through `reports.services.report_issue`. Individuals get
    XINYONG["FREE_SELF_REPORTS_PER_YEAR"] per calendar year (Asia/Shanghai); past it QuotaExhausted."""
    from xinyong.reports import services as report_services

    at = at or timezone.now()
    year = timezone.localtime(at).year
    if account.kind == "individual" and selectors.self_reports_used(account, year) >= selectors.free_self_reports_per_year():
        raise QuotaExhausted(quota_message(year))
    # rendering takes a while and holds no lock (report_issue's own design); two downloads racing
    # at the same moment could both pass the count above — acceptable for a free quota
    issued = report_services.report_issue(subject=subject, actor=actor, requester=requester, door="web", site_url=site_url, at=at, self_report=True)
    SelfReport.objects.create(account=account, subject=subject, report=issued.report, year=year, issued_at=issued.report.issued_at)
    left = None if account.kind != "individual" else max(0, selectors.free_self_reports_per_year() - selectors.self_reports_used(account, year))
    return SelfReportIssued(issued=issued, left=left)
