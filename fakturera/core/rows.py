"""One row read, or one small tree of rows written, without the ORM's per-call SQL
compilation: the statements of the API's busiest requests.

An invoice created and issued through the API reads the API key with its company,
and the customer, and writes the invoice with its lines, VAT breakdown and history.
Through the ORM every one of those statements is compiled again on every call, and
that cost more than the database's work (measured on PostgreSQL: 0.9 ms of CPU to
read one customer with select_related, against 0.05 ms for a round trip). Here the
SQL is built once per model and shape from the models' metadata and then reused.
Values pass through the fields' own conversions both ways (get_db_prep_save when
written, the backend's and the field's converters when read), so the rows are the
same as the ORM's, on every database.

- `select_one` / `select_rows`: instances with forward to-one relations in hand, by a
  WHERE clause.
- `insert_tree`: a new row and its children (rows with a foreign key to it). On
  PostgreSQL one statement (data-modifying CTEs); elsewhere bulk_create.

On PostgreSQL the statements are written with the server's own placeholders ($1, $2,
...) and run through psycopg's RawCursor (inside Django's cursor wrapper, so errors,
logging and execute wrappers behave as usual): psycopg would otherwise rewrite each
%s into $n again on every call, since it caches that only for short statements with
few parameters (measured: an eighth of the API worker's CPU went to it).
"""

# Every statement here is built from model metadata (table and column names, quoted)
# and the caller's fixed WHERE text; values are always parameters.
# ruff: noqa: S608

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models

M = TypeVar("M", bound=models.Model)
Converter = Callable[[Any, Any, Any], Any]
PLACEHOLDER = re.compile(r"%s")


@functools.cache
def _numbered(sql: str) -> str:
    """The statement with PostgreSQL's own placeholders: the n-th %s becomes $n."""
    counter = itertools.count(1)
    return PLACEHOLDER.sub(lambda _match: f"${next(counter)}", sql)


def _run(connection: Any, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The rows of `sql` (with %s placeholders). On PostgreSQL it is sent as it is, with
    $n placeholders, through a psycopg RawCursor in Django's cursor wrapper; when queries
    are logged (DEBUG, tests capturing them) through the usual cursor, whose log shows the
    values in place of %s."""
    if connection.vendor != "postgresql" or connection.queries_logged:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    import psycopg

    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = psycopg.RawCursor(connection.connection)
    with connection.make_cursor(raw) as cursor:
        cursor.execute(_numbered(sql), params)
        return cursor.fetchall()


@dataclass(frozen=True)
class _Part:
    """One model's columns in a compiled SELECT."""

    model: type[models.Model]
    attnames: tuple[str, ...]
    start: int
    pk_index: int
    # (index within the part, converters to apply in order, the column they expect)
    converters: tuple[tuple[int, tuple[Converter, ...], Any], ...]
    relation: models.ForeignKey | None  # None for the selected model itself


@functools.cache
def _compiled_select(
    model: type[models.Model], related: tuple[str, ...], where: str, alias: str
) -> tuple[str, tuple[_Part, ...]]:
    connection = connections[alias]
    quote = connection.ops.quote_name
    columns: list[str] = []
    parts: list[_Part] = []

    def add(part_model: type[models.Model], table_alias: str, relation: models.ForeignKey | None) -> None:
        fields = part_model._meta.concrete_fields
        start = len(columns)
        converters = []
        for index, field in enumerate(fields):
            columns.append(f"{table_alias}.{quote(field.column)}")
            column = field.get_col(table_alias)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                converters.append((index, tuple(found), column))
        pk_index = [field.primary_key for field in fields].index(True)
        attnames = tuple(field.attname for field in fields)
        parts.append(_Part(part_model, attnames, start, pk_index, tuple(converters), relation))

    add(model, "t0", None)
    joins = []
    for number, name in enumerate(related, start=1):
        field = model._meta.get_field(name)
        if not isinstance(field, models.ForeignKey):
            raise ValueError(f"{model.__name__}.{name} is not a forward to-one relation")
        target = field.remote_field.model
        table_alias = f"t{number}"
        join = "LEFT OUTER JOIN" if field.null else "INNER JOIN"
        joins.append(
            f"{join} {quote(target._meta.db_table)} {table_alias} "
            f"ON {table_alias}.{quote(field.target_field.column)} = t0.{quote(field.column)}"
        )
        add(target, table_alias, field)
    # Names come from the models; `where` is the caller's SQL with %s placeholders.
    sql = f"SELECT {', '.join(columns)} FROM {quote(model._meta.db_table)} t0 {' '.join(joins)} WHERE {where}"
    return sql, tuple(parts)


def select_one(
    model: type[M], *, where: str, params: Sequence[Any], related: Sequence[str] = (), using: str = DEFAULT_DB_ALIAS
) -> M | None:
    """The row of `model` matching `where` (SQL over the table aliased t0, with %s
    placeholders for `params`, on a unique key), with each forward to-one relation named
    in `related` read by a join and in hand; None when there is no such row."""
    rows = select_rows(model, where=where, params=params, related=related, using=using)
    return rows[0] if rows else None


def select_rows(
    model: type[M], *, where: str, params: Sequence[Any], related: Sequence[str] = (), using: str = DEFAULT_DB_ALIAS
) -> list[M]:
    """Every row of `model` matching `where`, in no particular order; as select_one."""
    sql, parts = _compiled_select(model, tuple(related), where, using)
    connection = connections[using]
    return [_instance(row, parts, connection, using) for row in _run(connection, sql, params)]


def _instance(row: Sequence[Any], parts: Sequence[_Part], connection: Any, using: str) -> Any:
    instance: Any = None
    for part in parts:
        values = list(row[part.start : part.start + len(part.attnames)])
        for index, converters, column in part.converters:
            value = values[index]
            for converter in converters:
                value = converter(value, column, connection)
            values[index] = value
        if part.relation is None:
            instance = part.model.from_db(using, part.attnames, values)
        else:
            # A nullable relation that is not set comes back as a row of NULLs.
            found = None if values[part.pk_index] is None else part.model.from_db(using, part.attnames, values)
            part.relation.set_cached_value(instance, found)
    return instance


# --- writing ----------------------------------------------------------------------------------------


@functools.cache
def _insert_fields(model: type[models.Model], without: str = "") -> tuple[models.Field, ...]:
    # As Model.save() inserts: every local concrete field but an automatic primary key
    # (and, for a child of insert_tree, its foreign key to the parent, named by `without`).
    meta = model._meta
    return tuple(
        field for field in meta.local_concrete_fields if field is not meta.auto_field and field.name != without
    )


def _insert_values(obj: models.Model, fields: Sequence[models.Field], connection: Any) -> list[Any]:
    # As the ORM's insert: pre_save (auto_now_add and the like), then the field's own conversion.
    return [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]


@functools.cache
def _compiled_tree(
    model: type[models.Model], shape: tuple[tuple[type[models.Model], str, int], ...], alias: str
) -> str:
    connection = connections[alias]
    quote = connection.ops.quote_name
    pk = quote(model._meta.pk.column)

    def insert(target: type[models.Model], rows: int, parent_key: str = "") -> str:
        fields = _insert_fields(target, parent_key)
        columns = [quote(field.column) for field in fields]
        cells = ["%s"] * len(fields)
        if parent_key:
            # The child's foreign key is the new parent's id, read from the first CTE.
            columns.append(quote(target._meta.get_field(parent_key).column))
            cells.append(f"(SELECT {pk} FROM parent)")
        values = ", ".join([f"({', '.join(cells)})"] * rows)
        table, returned = quote(target._meta.db_table), quote(target._meta.pk.column)
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values} RETURNING {returned}"

    ctes = [f"parent AS ({insert(model, 1)})"]
    picks = [f"(SELECT {pk} FROM parent)"]
    for number, (child, fk_name, rows) in enumerate(shape):
        name = f"child{number}"
        ctes.append(f"{name} AS ({insert(child, rows, fk_name)})")
        child_pk = quote(child._meta.pk.column)
        # Identity values are handed out in the order of the VALUES list.
        picks.append(f"(SELECT array_agg({child_pk} ORDER BY {child_pk}) FROM {name})")
    return f"WITH {', '.join(ctes)} SELECT {', '.join(picks)}"


def insert_tree(
    parent: models.Model, children: Sequence[tuple[str, Sequence[models.Model]]], *, using: str = DEFAULT_DB_ALIAS
) -> None:
    """Insert the new `parent` and, for each (foreign key name, rows), rows whose
    foreign key of that name points at it; every instance gets its primary key. Runs in
    the caller's transaction; on PostgreSQL it is one statement, so one round trip.
    As bulk_create, it calls no save() and sends no signals, on every database."""
    children = [(name, rows) for name, rows in children if rows]
    connection = connections[using]
    if connection.vendor != "postgresql":
        type(parent)._default_manager.using(using).bulk_create([parent])
        for name, rows in children:
            _point_at(rows, name, parent)
            type(rows[0])._default_manager.using(using).bulk_create(rows)
        return

    model = type(parent)
    shape = tuple((type(rows[0]), name, len(rows)) for name, rows in children)
    sql = _compiled_tree(model, shape, using)
    params = _insert_values(parent, _insert_fields(model), connection)
    for name, rows in children:
        fields = _insert_fields(type(rows[0]), name)
        for row in rows:
            params.extend(_insert_values(row, fields, connection))
    ((parent_pk, *child_pks),) = _run(connection, sql, params)
    _mark_saved(parent, parent_pk, using)
    for (name, rows), pks in zip(children, child_pks, strict=True):
        _point_at(rows, name, parent)
        for row, pk in zip(rows, pks, strict=True):
            _mark_saved(row, pk, using)


def _point_at(rows: Sequence[models.Model], name: str, parent: models.Model) -> None:
    field = type(rows[0])._meta.get_field(name)
    for row in rows:
        # The id first: setting it clears a cached relation, which is then the saved parent.
        setattr(row, field.attname, parent.pk)
        field.set_cached_value(row, parent)


def _mark_saved(obj: models.Model, pk: Any, using: str) -> None:
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = using
