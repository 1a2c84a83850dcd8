"""Fast bulk inserts for imports: reserve primary keys, then one executemany (SQLite) or COPY
(PostgreSQL) per chunk. Field values go through each field's own `get_db_prep_save`, so
encrypted fields are sealed exactly as the ORM would seal them.

Django's bulk_create on SQLite is limited to 999 parameters per statement (about 70 rows of a
14-column table); a ledger of 300,000 residents needs something faster.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` fresh primary keys for `model`, safe against concurrent writers."""
    if count <= 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, count]
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the connection holds the write lock (IMMEDIATE transactions), so max() is stable.
        cursor.execute(f'SELECT COALESCE(MAX("{pk}"), 0) FROM "{table}"')  # noqa: S608 - identifiers from the model
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


def insert_rows(model: type[models.Model], fields: Sequence[str], objects: Iterable[models.Model]) -> int:
    """Insert model instances (primary keys already set), writing only `fields` and the pk."""
    connection = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the per-access proxy
    meta = model._meta
    concrete: list[Any] = [meta.pk] + [meta.get_field(name) for name in fields]
    rows = [tuple(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in concrete) for obj in objects]
    return insert_values(model, [f.attname for f in concrete], rows)


def insert_values(model: type[models.Model], attnames: Sequence[str], rows: Sequence[tuple]) -> int:
    """Insert rows already in database form, one value per attname (e.g. "household_id").

    The caller prepares values (`connection.ops.adapt_*`, `EncryptedCharField.seal`); this is
    the path for hundreds of thousands of rows, where model instances cost more than the write.
    """
    if not rows:
        return 0
    connection = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    by_attname = {f.attname: f.column for f in meta.concrete_fields}
    quoted = ", ".join(connection.ops.quote_name(by_attname[a]) for a in attnames)
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(attnames))
            cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", rows)  # noqa: S608
    return len(rows)
