"""Background jobs of ingestion (django-tasks; `xinyong worker` runs them)."""

from django_tasks import task

from .models import Batch
from .pipeline import batch_process


@task()
def process_batch(batch_id: int) -> dict:
    batch = Batch.objects.select_related("department").get(pk=batch_id)
    if batch.status != "queued":
        return batch.summary()
    return batch_process(batch).summary()
