import getpass
import json
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from xinyong.common.errors import XinyongError
from xinyong.ingestion.services import get_department
from xinyong.security.keys import (
    DEFAULT_SCOPES,
    SCOPES,
    STATUS_LABELS,
    apikey_create,
    apikey_get,
    apikey_revoke,
    apikey_rotate,
    key_status,
)
from xinyong.security.models import ApiKey
from xinyong.security.services import Actor


def _actor() -> Actor:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor.system(f"命令行:{who}")


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


class Command(BaseCommand):
    help = (
        "部门业务系统的接口密钥：create --dept CODE --name NAME [--scopes ingest,catalog] [--expires-days N] | "
        "list [--dept CODE] [--json] | revoke KEY_ID [--reason TEXT] | rotate KEY_ID"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{create,list,revoke,rotate}")
        create = sub.add_parser("create", help="创建密钥（令牌只显示这一次）")
        create.add_argument("--dept", required=True, help="部门编码，如 220100-GSJ")
        create.add_argument("--name", required=True, help="密钥名称，如：行政处罚案件系统")
        create.add_argument("--scopes", default=",".join(DEFAULT_SCOPES), help=f"权限范围，逗号分隔（可选：{','.join(SCOPES)}；默认 {','.join(DEFAULT_SCOPES)}）")
        create.add_argument("--expires-days", type=int, default=None, help="有效天数（默认不过期）")
        lst = sub.add_parser("list", help="列出密钥")
        lst.add_argument("--dept", help="只列出这个部门的密钥")
        lst.add_argument("--json", action="store_true", help="机器可读的 JSON 输出")
        revoke = sub.add_parser("revoke", help="吊销密钥（立即失效，不可恢复）")
        revoke.add_argument("key_id")
        revoke.add_argument("--reason", default="", help="吊销原因（记入审计日志）")
        rotate = sub.add_parser("rotate", help="更换密钥（同一密钥标识；旧密钥在过渡期内仍有效；新令牌只显示这一次）")
        rotate.add_argument("key_id")
        rotate.add_argument("--immediate", action="store_true", help="旧密钥立即失效（密钥泄露时）")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except XinyongError as exc:
            raise CommandError(exc.message) from exc

    def _create(self, dept, name, scopes, expires_days, **_):
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days 须为正整数")
        department = get_department(dept)
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        key, token = apikey_create(department=department, name=name, scopes=scopes, actor=_actor(), expires_at=expires_at)
        self.stderr.write(
            f"已为{department.short_name}（{department.code}）创建接口密钥 {key.key_id}：{key.name}；"
            f"权限 {','.join(key.scopes)}；过期时间 {_when(key.expires_at) if key.expires_at else '不过期'}。\n"
            "下面的令牌只显示这一次，请立即交给该系统的维护人员妥善保存（请求头 Authorization: Bearer <令牌>）："
        )
        self.stdout.write(token)

    def _rotate(self, key_id, immediate=False, **_):
        key, token = apikey_rotate(key=apikey_get(key_id), actor=_actor(), overlap=timedelta(0) if immediate else None)
        if key.previous_valid_until:
            old = f"旧令牌在 {_when(key.previous_valid_until)} 之前仍然有效，请在此之前让业务系统改用新令牌"
        else:
            old = "旧令牌已失效"
        self.stderr.write(f"已更换接口密钥 {key.key_id}（{key.department.short_name}/{key.name}）的密钥，{old}。新令牌只显示这一次：")
        self.stdout.write(token)

    def _revoke(self, key_id, reason, **_):
        key = apikey_get(key_id)
        was_revoked = key.revoked_at is not None
        key = apikey_revoke(key=key, actor=_actor(), reason=reason)
        if was_revoked:
            self.stdout.write(f"接口密钥 {key.key_id} 已于 {_when(key.revoked_at)} 吊销，未作改动")
        else:
            self.stdout.write(f"已吊销接口密钥 {key.key_id}（{key.department.short_name}/{key.name}）")

    def _list(self, dept, json, **_):  # noqa: A002
        keys = ApiKey.objects.select_related("department").order_by("department__code", "id")
        if dept:
            keys = keys.filter(department=get_department(dept))
        now = timezone.now()
        rows = [
            {
                "key_id": k.key_id,
                "department": k.department.code,
                "name": k.name,
                "scopes": k.scopes,
                "status": key_status(k, now=now),
                "created_at": k.created_at.isoformat(),
                "expires_at": k.expires_at.isoformat() if k.expires_at else None,
                "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
                "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None,
            }
            for k in keys
        ]
        if json:
            self.stdout.write(_dumps(rows))
            return
        if not rows:
            self.stdout.write("没有接口密钥")
            return
        for k, r in zip(keys, rows, strict=True):
            self.stdout.write(
                f"{k.key_id:20} {k.department.code:12} {STATUS_LABELS[r['status']]:4} {','.join(k.scopes):16} "
                f"创建 {_when(k.created_at)}  过期 {_when(k.expires_at)}  最近使用 {_when(k.last_used_at)}  {k.name}"
            )


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
