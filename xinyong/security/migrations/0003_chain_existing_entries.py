"""Chain the audit entries written before the chain existed, in the order of their ids."""

from django.db import migrations


def chain_existing(apps, schema_editor):
    from xinyong.security import chain

    AuditEntry = apps.get_model("security", "AuditEntry")
    fields = ("id", *chain.DB_FIELDS)
    prev, seq = chain.GENESIS, 0
    last = AuditEntry.objects.exclude(seq=None).order_by("-seq").values_list("seq", "hash").first()
    if last:
        seq, prev = last
    for row in AuditEntry.objects.filter(seq=None).order_by("id").values(*fields).iterator(chunk_size=2000):
        seq += 1
        row["seq"], row["prev_hash"] = seq, prev
        digest = chain.entry_hash(chain.entry_record(row))
        AuditEntry.objects.filter(pk=row["id"]).update(seq=seq, prev_hash=prev, hash=digest, detail=row["detail"], ip=chain.clean_ip(row["ip"]))
        prev = digest


class Migration(migrations.Migration):
    dependencies = [("security", "0002_audit_chain_signed_api")]

    operations = [migrations.RunPython(chain_existing, migrations.RunPython.noop)]
