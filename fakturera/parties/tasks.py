"""Background work of parties (django-tasks, database backend)."""

from django_tasks import task

from fakturera.parties.invitations import invitation_send


@task()
def send_invitation_mail(invitation_id: int) -> None:
    # Queued on commit: the administrator's request never waits for, or fails on, the mail server.
    # Only the id travels: the link's token is made here and exists only in the mail.
    invitation_send(invitation_id=invitation_id)
