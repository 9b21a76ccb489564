"""Background work of the documents app (django-tasks, database backend)."""

from django_tasks import task

from fakturera.documents.services import documents_render


@task()
def render_documents(invoice_ids: list[int]) -> int:
    # Safe to run twice or after a crash: only missing documents are rendered.
    return documents_render(invoice_ids=invoice_ids)
