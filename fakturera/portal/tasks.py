"""Background work of the portal (django-tasks, database backend)."""

from django_tasks import task

from fakturera.portal.services import login_links_send


@task()
def send_login_links(company_id: int, email: str, next_path: str = "") -> None:
    # Queued by the login page: the request neither looks the address up nor waits for a
    # mail server, so its answer and its time are the same for any address.
    login_links_send(company_id=company_id, email=email, next_path=next_path)
