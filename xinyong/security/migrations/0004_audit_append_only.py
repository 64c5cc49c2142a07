"""Every audit entry is chained (seq unique, hashes required); on PostgreSQL a trigger refuses
UPDATE and DELETE of audit entries and checkpoints, whoever sends them (the ORM refuses them
on every database: models.AppendOnlyModel)."""

from django.db import migrations, models

TABLES = ("security_auditentry", "security_auditcheckpoint")
FUNCTION = """
CREATE OR REPLACE FUNCTION xinyong_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'xinyong: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def add_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION xinyong_append_only()"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS xinyong_append_only()")


class Migration(migrations.Migration):
    dependencies = [("security", "0003_chain_existing_entries")]

    operations = [
        migrations.AlterField("auditentry", "seq", models.BigIntegerField(unique=True, verbose_name="序号")),
        migrations.AlterField("auditentry", "prev_hash", models.CharField(max_length=64, verbose_name="前一条的哈希")),
        migrations.AlterField("auditentry", "hash", models.CharField(max_length=64, verbose_name="哈希")),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
