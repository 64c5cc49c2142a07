import uuid

from django.db import migrations, models


def fill(apps, schema_editor):
    Subject = apps.get_model("subjects", "Subject")
    for pk in Subject.objects.values_list("pk", flat=True).iterator():
        Subject.objects.filter(pk=pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("subjects", "0001_initial")]

    operations = [
        migrations.AddField(model_name="subject", name="public_id", field=models.UUIDField(null=True, editable=False)),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(model_name="subject", name="public_id", field=models.UUIDField(default=uuid.uuid4, unique=True, editable=False)),
    ]
