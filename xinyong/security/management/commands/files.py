"""xinyong files encrypt | rekey | check: the stored documents and error files, encrypted at rest.

- `encrypt` seals, in place, the files written before encryption at rest (plain): case
  attachments, signed paper consents, commitment documents, authorization letters, error files of
  batches (the stores listed in `security/stores.py`). One file at a time, atomically (a
  temporary file renamed over the old one); a second run changes nothing.
- `rekey` re-encrypts the sealed files that are not under the newest field key (after a key was
  put first in XINYONG_FIELD_KEYS), so that the old key can then be removed.
- `check` reads every sealed file through and counts plain, sealed and damaged files.

Output: a summary in Chinese on stderr, one JSON line of counts per store on stdout; exit code 1
when a file could not be read (named on stderr, by its random name only).
"""

import json
from collections.abc import Callable, Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xinyong.common import filestore
from xinyong.security.management.commands.backup import command_actor
from xinyong.security.services import audit_log
from xinyong.security.stores import stores


class Command(BaseCommand):
    help = "存储的文件（案件附件、书面授权书、承诺书、授权委托书、拒收行文件）的静态加密：encrypt（加密旧的明文文件）| rekey（用最新的字段密钥重新加密）| check（逐个校验）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{encrypt,rekey,check}")
        sub.add_parser("encrypt", help="把加密存储之前写入的明文文件就地加密（逐个文件原子替换；可重复运行）")
        sub.add_parser("rekey", help="把不是用最新字段密钥加密的文件重新加密（轮换密钥后运行，之后才能删除旧密钥）")
        sub.add_parser("check", help="逐个读取校验，统计明文、已加密、无法读取的文件")

    def handle(self, *args, action, **options):
        counts: dict[str, dict[str, int]] = {}
        damaged: list[str] = []
        labels = {}
        for store in stores():  # security/stores.py: the one list of stores
            paths = [path for _, path in store.files()]
            labels[store.name] = store.label
            c = counts[store.name] = {"files": len(paths), "changed": 0, "unchanged": 0, "plain": 0, "damaged": 0}
            for path in paths:
                try:
                    changed, plain = self._one(action, path, store.read)
                except filestore.DamagedFile as exc:
                    c["damaged"] += 1
                    damaged.append(f"{store.label} {path.name}（{exc.reason}）")
                    continue
                c["changed" if changed else "unchanged"] += 1
                c["plain"] += plain
        if action != "check":
            audit_log(actor=command_actor(), action=f"files.{action}", object_type="stored_files", detail=counts)
        verb = {"encrypt": "加密", "rekey": "重新加密", "check": "校验"}[action]
        for store, c in counts.items():
            tail = f"，明文 {c['plain']} 个" if action == "check" else ""
            self.stderr.write(f"{labels[store]}：共 {c['files']} 个，{verb} {c['changed']} 个，未变 {c['unchanged']} 个{tail}，无法读取 {c['damaged']} 个")
        self.stdout.write(json.dumps({"ok": not damaged, "action": action, "stores": counts}, ensure_ascii=False))
        if damaged:
            raise CommandError("以下文件无法读取（已损坏、被改动，或密钥不全）：" + "；".join(damaged))

    @staticmethod
    def _one(action: str, path: Path, read: Callable[[Path], Iterator[bytes]]) -> tuple[bool, int]:
        """(changed, plain) for one file."""
        sealed = filestore.is_sealed(path)
        if action == "encrypt":
            if sealed:
                return False, 0
            filestore.write(path, read(path))
            return True, 1
        if action == "rekey":
            return filestore.rekey_in_place(path), 0 if sealed else 1
        for _ in read(path):  # check: read it through
            pass
        return False, 0 if sealed else 1
