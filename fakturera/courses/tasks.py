"""Background work of the courses app (django-tasks, database backend)."""

from django_tasks import task

from fakturera.courses.services import approval_mail_send


@task()
def send_approval_mail(registration_id: int) -> None:
    # Queued on commit: the participant's request never waits for, or fails on, the mail server.
    approval_mail_send(registration_id=registration_id)
