"""Running calls at the same moment in separate OS processes, each with its own database
connection (PostgreSQL concurrency tests that threads in one process could hide).

`run_in_processes("fakturera.x.tests.test_y:worker", [kwargs, kwargs, ...])` starts one
`python -m fakturera.core.tests.processes` per kwargs against the test database; each
imports Django, waits until a shared start time and calls the function with its kwargs.
The function returns something JSON can hold; each process's answer (or its error) is
returned in order.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
from typing import Any

START_DELAY = 6.0  # seconds for every process to import Django before the common start


def _database_url(name: str | None = None) -> str:
    """The test database's URL for a child process (or that of database `name` on its server)."""
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    login = f"{quote(db['USER'], safe='')}{password}"
    return f"postgres://{login}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name or db['NAME']}"


def run_in_processes(target: str, calls: list[dict[str, Any]], *, timeout: float = 300) -> list[Any]:
    from django.conf import settings
    from django.db import connection

    connection.close()  # the children must see everything the test wrote (transactional tests commit)
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "fakturera.settings"}
    start_at = time.time() + START_DELAY
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "fakturera.core.tests.processes", target, str(start_at), json.dumps(kwargs)],
            env=env,
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for kwargs in calls
    ]
    results = []
    for child in children:
        out, err = child.communicate(timeout=timeout)
        if child.returncode != 0:
            results.append({"crashed": err.decode()[-3000:]})
        else:
            results.append(json.loads(out.decode().strip().splitlines()[-1]))
    return results


def main(target: str, start_at: str, kwargs: str) -> None:
    import django

    django.setup()
    module, _, name = target.partition(":")
    function = getattr(importlib.import_module(module), name)
    time.sleep(max(0.0, float(start_at) - time.time()))
    result = function(**json.loads(kwargs))
    print(json.dumps(result))  # the parent reads it


if __name__ == "__main__":
    main(*sys.argv[1:4])
