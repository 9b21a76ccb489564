"""Create the PostgreSQL database named by DATABASE_URL when it does not exist yet.

`make run` calls this before migrating, so `DATABASE_URL=postgres://.../fakturera
make run` works on a server that has never seen Fakturera. Without DATABASE_URL
(the embedded SQLite database) there is nothing to do.
"""

import os
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return 0
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        return 0
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created database {name}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
