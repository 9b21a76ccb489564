"""The database's share of a bulk write, measured alone: the same rows written again without Python.

`camt_import` asks whether its goal is within this machine's reach. The answer depends on a
figure no profile of Python gives: how long PostgreSQL itself takes to store what the import
stores. `Floor` measures it by replay:

1. `Floor.clone()` copies the benchmark's database once setup is done (CREATE DATABASE ...
   TEMPLATE: the same tables, rows, indexes and constraints, nothing written by the import).
2. `Floor.before()` and `Floor.after()` bracket the measured write: the highest id of each table
   it inserts into, and PostgreSQL's own count of the rows each table got (pg_stat_user_tables),
   which must name no table the replay leaves out.
3. `Floor.replay(updates)` reads the rows the write inserted (and the changed rows `updates`
   selects) from the benchmark's database with binary COPY into memory, then writes them into
   the clone in one transaction: COPY FROM STDIN for the inserts, a temporary table and one
   UPDATE ... FROM for each changed table, COMMIT (where the deferred foreign keys are checked).
   Timed from the first COPY until the commit returned. `Floor.drop()` drops the copy.

The replay is the least any implementation of the same write could make the database do with
this schema on this machine: the same rows, the same indexes and the same checks, with no
parsing, no matching and no rows built in Python.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import psycopg
from django.db import connection
from psycopg import sql


def _admin_url() -> str:
    settings = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        dbname="postgres",
        host=settings.get("HOST") or "",
        port=str(settings.get("PORT") or ""),
        user=settings.get("USER") or "",
        password=settings.get("PASSWORD") or "",
    )


def _url(dbname: str) -> str:
    return psycopg.conninfo.make_conninfo(_admin_url(), dbname=dbname)


@dataclass
class Floor:
    """`inserted`: the tables the measured write inserts into (their primary key is `id`);
    `updated`: the tables it changes rows of. Both by table name."""

    inserted: Sequence[str]
    updated: Sequence[str]
    clone_name: str = ""
    ids_before: dict[str, int] = field(default_factory=dict)
    ids_after: dict[str, int] = field(default_factory=dict)
    counts_before: dict[str, tuple[int, int]] = field(default_factory=dict)
    rows: int = 0
    seconds: float = 0.0
    commit_seconds: float = 0.0  # of `seconds`: the COMMIT, which checks the deferred foreign keys

    def clone(self) -> None:
        source = connection.settings_dict["NAME"]
        self.clone_name = f"{source}_floor"
        connection.close()  # a template must have no other session
        with psycopg.connect(_admin_url(), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.clone_name)))
            # FILE_COPY: the files copied, not written through the WAL (PostgreSQL 15's default
            # would log the whole database, and the checkpoint that follows would land in the import).
            admin.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                    sql.Identifier(self.clone_name), sql.Identifier(source)
                )
            )

    def _ids(self) -> dict[str, int]:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            found = {}
            for table in self.inserted:
                cursor.execute(f"SELECT coalesce(max(id), 0) FROM {quote(table)}")  # noqa: S608 - a model's table
                found[table] = cursor.fetchone()[0]
            return found

    def _counts(self) -> dict[str, tuple[int, int]]:
        """Rows inserted and updated so far per table, as PostgreSQL counts them (this session's
        own counts are flushed first)."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_force_next_flush()")
            cursor.execute("SELECT pg_stat_clear_snapshot()")
        # A statement in a new transaction reports the flushed counts.
        with connection.cursor() as cursor:
            cursor.execute("SELECT relname, n_tup_ins, n_tup_upd FROM pg_stat_user_tables WHERE schemaname = 'public'")
            return {name: (ins, upd) for name, ins, upd in cursor.fetchall()}

    @staticmethod
    def checkpoint() -> None:
        """Write what is dirty out now, so neither the write nor its replay meets a checkpoint
        that the other did not (both start right after one)."""
        with psycopg.connect(_admin_url(), autocommit=True) as admin:
            admin.execute("CHECKPOINT")

    def before(self) -> None:
        self.checkpoint()
        self.ids_before = self._ids()
        self.counts_before = self._counts()

    def after(self) -> None:
        self.ids_after = self._ids()
        counts = self._counts()
        inserted, updated = set(), set()
        for name, (ins, upd) in counts.items():
            was_ins, was_upd = self.counts_before.get(name, (0, 0))
            if ins > was_ins:
                inserted.add(name)
            if upd > was_upd:
                updated.add(name)
        if inserted != set(self.inserted) or not updated <= set(self.updated):
            raise AssertionError(
                f"the write inserted into {sorted(inserted)} and updated {sorted(updated)}; the replay "
                f"covers inserts into {sorted(self.inserted)} and updates of {sorted(self.updated)}"
            )

    def replay(self, updates: Mapping[str, tuple[str, str, str]]) -> float:
        """`updates`: per changed table, which of its rows the write changed, as (its key column, a
        table the write inserted into, that table's column naming the row): the rows whose key
        is named by a row the write inserted. Returns the seconds of the replay."""
        source = connection.settings_dict["NAME"]
        payloads: list[tuple[str, bytes]] = []
        with psycopg.connect(_url(source)) as reader:
            for table in self.inserted:
                query = sql.SQL(
                    "COPY (SELECT * FROM {} WHERE id > {} AND id <= {} ORDER BY id) TO STDOUT (FORMAT binary)"
                )
                query = query.format(
                    sql.Identifier(table), sql.Literal(self.ids_before[table]), sql.Literal(self.ids_after[table])
                )
                payloads.append((table, _copied(reader, query)))
            changed: list[tuple[str, str, bytes]] = []
            for table, (key, via, column) in updates.items():
                query = sql.SQL(
                    "COPY (SELECT * FROM {table} WHERE {key} IN (SELECT {column} FROM {via} WHERE id > {low} "
                    "AND id <= {high})) TO STDOUT (FORMAT binary)"
                ).format(
                    table=sql.Identifier(table),
                    key=sql.Identifier(key),
                    column=sql.Identifier(column),
                    via=sql.Identifier(via),
                    low=sql.Literal(self.ids_before[via]),
                    high=sql.Literal(self.ids_after[via]),
                )
                changed.append((table, key, _copied(reader, query)))
            columns = {
                table: [
                    row[0]
                    for row in reader.execute(
                        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
                        "AND table_name = %s ORDER BY ordinal_position",
                        [table],
                    )
                ]
                for table, _key, _data in changed
            }
        self.rows = 0
        self.checkpoint()
        with psycopg.connect(_url(self.clone_name)) as writer:
            started = time.perf_counter()
            with writer.transaction():
                for table, data in payloads:
                    self.rows += _paste(
                        writer, sql.SQL("COPY {} FROM STDIN (FORMAT binary)").format(sql.Identifier(table)), data
                    )
                for table, key, data in changed:
                    temporary = sql.Identifier(f"floor_{table}")
                    writer.execute(
                        sql.SQL("CREATE TEMPORARY TABLE {} (LIKE {})").format(temporary, sql.Identifier(table))
                    )
                    _paste(writer, sql.SQL("COPY {} FROM STDIN (FORMAT binary)").format(temporary), data)
                    rest = [c for c in columns[table] if c != key]
                    cursor = writer.execute(
                        sql.SQL(
                            "UPDATE {table} AS t SET ({names}) = ({values}) FROM {temporary} AS s "
                            "WHERE t.{key} = s.{key}"
                        ).format(
                            table=sql.Identifier(table),
                            names=sql.SQL(", ").join(sql.Identifier(c) for c in rest),
                            values=sql.SQL(", ").join(sql.SQL("s.") + sql.Identifier(c) for c in rest),
                            temporary=temporary,
                            key=sql.Identifier(key),
                        )
                    )
                    self.rows += cursor.rowcount
                committing = time.perf_counter()
            ended = time.perf_counter()
            self.seconds = ended - started
            self.commit_seconds = ended - committing
        return self.seconds

    def drop(self) -> None:
        if self.clone_name:
            with psycopg.connect(_admin_url(), autocommit=True) as admin:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.clone_name))
                )


def _copied(reader: psycopg.Connection, query: sql.Composable) -> bytes:
    with reader.cursor().copy(query) as copy:
        return b"".join(bytes(block) for block in copy)


def _paste(writer: psycopg.Connection, query: sql.Composable, data: bytes) -> int:
    with writer.cursor() as cursor:
        with cursor.copy(query) as copy:
            copy.write(data)
        return cursor.rowcount
