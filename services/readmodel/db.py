"""Engines, migrations and the idempotent, batched upsert of the read model."""

from __future__ import annotations

import asyncio
import collections
import fcntl
import functools
import logging
import operator
import threading
import uuid
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, Table, create_engine, delete, event, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlmodel import Session

from services.readmodel import search_index
from services.readmodel.tables import READ_MODEL, ReadModelGeneration

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

Rows = Mapping[str, Iterable[Mapping[str, Any]]]
T = TypeVar("T")


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # a page cache of up to 16 MiB per connection (2 MiB by default) and a checkpoint
    # every ~40 MiB of WAL (4 MiB): the worker's transactions rewrite many large rows,
    # and both cut their time by a third (measured on 1,300-row upserts)
    cursor.execute("PRAGMA cache_size=-16384")
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.close()


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


# JSON columns (comments, endorsers, histories) through orjson: several times faster than
# the standard library both ways, and the same JSON.
JSON_CODEC: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": orjson.loads}


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               **JSON_CODEC)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, **JSON_CODEC)


@functools.lru_cache(maxsize=16)
def _snapshot_bind(engine: Engine) -> Engine:
    if engine.dialect.name == "postgresql":
        # psycopg opens each transaction with BEGIN ISOLATION LEVEL REPEATABLE READ READ
        # ONLY: the snapshot is taken at its first statement and kept to its end
        return engine.execution_options(isolation_level="REPEATABLE READ",
                                        postgresql_readonly=True)
    return engine


@contextmanager
def snapshot(engine: Engine) -> Iterator[Session]:
    """A session whose queries all see one committed state of the read model.

    A page or an API answer is built from several queries (a proposal's row, then its
    comments and commitments), while the worker commits batches between them. Read
    each on its own (PostgreSQL's READ COMMITTED, or SQLite outside a transaction,
    where the driver opens none for a SELECT) and one answer can mix two states: a
    thread listing 20 comments under a count of 19. Here they share one snapshot:
    REPEATABLE READ on PostgreSQL, one read transaction on SQLite (WAL keeps it
    consistent while the worker writes). Read-only: for writes, use a plain Session.
    """
    with Session(_snapshot_bind(engine)) as session:
        if engine.dialect.name == "sqlite":
            session.connection().exec_driver_sql("BEGIN")
        yield session


async def lookup(engine: Engine, read: Callable[..., T], *args: Any) -> T:
    """Run ``read``, a lookup by an indexed key or two, without blocking the event loop for long.

    On SQLite (a local file in WAL mode, where a reader never waits for the writer)
    such a lookup takes tens of microseconds: less than handing it to a thread and
    back (~0.2 ms on two busy cores), so it runs here. On PostgreSQL it waits for a
    network round trip, and goes to a thread. Anything that scans or renders does not
    belong here: use ``asyncio.to_thread``.
    """
    if engine.dialect.name == "sqlite":
        return read(*args)
    return await asyncio.to_thread(read, *args)


#: how many answers a thread keeps for ``read_rows(..., reuse=True)``
REUSED_ANSWERS = 1024


class _Kept(threading.local):
    """What a thread keeps for ``read_rows``: one SQLite connection per engine, and the
    answers of reads that may be reused, with the database's version they were read at."""

    def __init__(self) -> None:
        self.connections: weakref.WeakKeyDictionary[Engine, Any] = weakref.WeakKeyDictionary()
        # per engine, so that they go with it, as its connection does
        self.answers: weakref.WeakKeyDictionary[
            Engine, collections.OrderedDict[tuple[Any, ...], tuple[int, list[Any]]]] = (
            weakref.WeakKeyDictionary())


_kept = _Kept()


class _Prepared(NamedTuple):
    sql: str
    names: tuple[str, ...]  # the parameters, in the order the SQL takes them
    literals: dict[str, Any]  # the values of the statement's own literals
    processors: tuple[Callable[[Any], Any] | None, ...]  # per column, e.g. JSON text -> value


#: statement -> what running it on the raw driver takes
_prepared: dict[Any, _Prepared] = {}


def _prepare(engine: Engine, statement: Any) -> _Prepared:
    prepared = _prepared.get(statement)
    if prepared is None:
        compiled = statement.compile(dialect=engine.dialect)
        processors = tuple(column.type._cached_result_processor(engine.dialect, None)
                           for column in statement.selected_columns)
        prepared = _prepared[statement] = _Prepared(
            compiled.string, tuple(compiled.positiontup or ()), dict(compiled.params),
            processors)
    return prepared


def _kept_connection(engine: Engine) -> Any:
    connection = _kept.connections.get(engine)
    if connection is None:
        fairy = engine.raw_connection()  # through the pool's connect hooks (the pragmas)
        connection = _kept.connections[engine] = fairy.driver_connection
        fairy.detach()  # this thread's own from now on, closed when the engine goes
    return connection


def _run(connection: Any, prepared: _Prepared, params: Mapping[str, Any]) -> list[Any]:
    values = {**prepared.literals, **params}
    rows = connection.execute(prepared.sql,
                              tuple(values[name] for name in prepared.names)).fetchall()
    converted = [(i, f) for i, f in enumerate(prepared.processors) if f is not None]
    if converted:
        rows = [list(row) for row in rows]
        for row in rows:
            for i, f in converted:
                if row[i] is not None:
                    row[i] = f(row[i])
    return rows


def read_rows(engine: Engine, statement: Any, params: Mapping[str, Any], *,
              reuse: bool = False) -> list[Any]:
    """The rows (tuples) of ``statement``, a prepared read by an indexed key.

    On SQLite the statement is compiled once to its SQL and run on a connection the
    calling thread keeps, outside any transaction (the driver opens none for a SELECT,
    so each read sees the newest commit): ~10 µs, where checking a connection out of
    SQLAlchemy's pool, executing through its Core layers and rolling back cost ~100 µs
    of the web's event loop on every API request. The rows are read to the end, so no
    read transaction stays open. Elsewhere: an ordinary connection from the pool.
    JSON columns come back decoded, as SQLAlchemy gives them.

    With ``reuse``, on SQLite, the same read answers from memory until any other
    connection commits (``PRAGMA data_version``, ~1 µs): for what every request reads
    and rarely changes, such as its API key. A change made by another process counts at
    once; the answers kept are bounded (``REUSED_ANSWERS``, least recently used go).
    """
    if engine.dialect.name != "sqlite":
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(statement, params)]
    connection = _kept_connection(engine)
    prepared = _prepare(engine, statement)
    if not reuse:
        return _run(connection, prepared, params)
    version = connection.execute("PRAGMA data_version").fetchone()[0]
    answers = _kept.answers.get(engine)
    if answers is None:
        answers = _kept.answers[engine] = collections.OrderedDict()
    key = (prepared.sql, *sorted(params.items()))
    kept = answers.get(key)
    if kept is not None and kept[0] == version:
        answers.move_to_end(key)
        return kept[1]
    rows = _run(connection, prepared, params)
    answers[key] = (version, rows)
    answers.move_to_end(key)
    if len(answers) > REUSED_ANSWERS:
        answers.popitem(last=False)
    return rows


_GENERATION = select(ReadModelGeneration.token).where(  # type: ignore[call-overload]
    ReadModelGeneration.id == 1)
_NEW_GENERATION = text(
    "INSERT INTO read_model_generation (id, token) VALUES (1, :token) "
    "ON CONFLICT (id) DO UPDATE SET token = excluded.token")


def _new_generation(connection: Connection) -> None:
    """Mark the read model changed, in the transaction that changes it."""
    connection.execute(_NEW_GENERATION, {"token": uuid.uuid4().hex})


def generation(engine: Engine) -> str | None:
    """A token that changes in every transaction that writes the read model (None when
    the database cannot tell): what a response's validators or rendering were made at,
    so they are reused while it holds. Read it before what it guards: a write in between
    then makes the next request recompute, never serves an older state as newer.

    Random, not a counter: a rebuilt or restored read model never repeats a token a web
    process may still hold. One prepared read (``read_rows``): microseconds on SQLite.
    """
    try:
        rows = read_rows(engine, _GENERATION, {})
    except Exception as exc:  # an older schema, or the database away: nothing is kept
        log.debug("no read-model generation: %r", exc)
        return None
    return str(rows[0][0]) if rows else None


def read_snapshot(engine: Engine, *reads: tuple[Any, Mapping[str, Any]]) -> list[list[Any]]:
    """The rows of each ``(statement, params)``, all read from one committed state (as
    ``snapshot``), the statements prepared once (as ``read_rows``).

    For a list with its total: the count and the page agree while the worker commits.
    On SQLite one read transaction on the thread's kept connection (a page of 200
    proposals and its count: 1.7 ms here against 4.4 ms through the ORM session and
    Core's statement building); on PostgreSQL one REPEATABLE READ transaction.
    """
    if engine.dialect.name != "sqlite":
        with _snapshot_bind(engine).connect() as connection:
            return [[tuple(row) for row in connection.execute(statement, params)]
                    for statement, params in reads]
    connection = _kept_connection(engine)
    prepared = [(_prepare(engine, statement), params) for statement, params in reads]
    connection.execute("BEGIN")
    try:
        return [_run(connection, p, params) for p, params in prepared]
    finally:
        connection.execute("COMMIT")  # read only: ends the snapshot


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise migrations between processes started together (worker and web)."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        with open(f"{database}.migrate.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    else:
        yield


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with _migration_lock(engine), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7406)")
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")  # features add their own migration branches


def _without_nul(value: Any) -> Any:
    """PostgreSQL text and jsonb cannot hold U+0000, which JSON events may: U+FFFD instead."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, Mapping):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


@functools.cache
def _upsert_statement(dialect: str, name: str) -> Any:
    """The upsert of one read-model table, built once (SQLAlchemy then reuses its compiled
    form and cache key: building it anew for each small transaction cost more than the
    transaction). A table without versions holds rows written once: a second write of
    one changes nothing."""
    table: Table = READ_MODEL[name].__table__  # type: ignore[attr-defined]
    keys = [c.name for c in table.primary_key.columns]
    stmt = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    if "version" not in table.c:
        return stmt.on_conflict_do_nothing(index_elements=keys)
    return stmt.on_conflict_do_update(
        index_elements=keys,
        set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys},
        where=table.c.version < stmt.excluded.version,
    )


@functools.lru_cache(maxsize=128)
def _sqlite_upsert(dialect: Any, name: str, keys: tuple[str, ...]
                   ) -> tuple[str, Callable[[Mapping[str, Any]], tuple[Any, ...]]]:
    """The SQLite upsert of ``name`` for rows with ``keys``, compiled once: its SQL and
    what makes a row its parameters, in order, with SQLAlchemy's bind processors (the
    JSON columns' serializer) applied as execute would. An ``itemgetter`` takes the
    values in C: a generator per row cost a few µs of every row written."""
    compiled = _upsert_statement("sqlite", name).compile(dialect=dialect, column_keys=list(keys))
    processors = compiled._bind_processors  # noqa: SLF001 (what execute would apply)
    order = list(compiled.positiontup)
    take = operator.itemgetter(*order)
    if len(order) == 1:
        return compiled.string, lambda row: (take(row),)
    processed = [(index, processors[key]) for index, key in enumerate(order)
                 if processors.get(key) is not None]
    if not processed:
        return compiled.string, take

    def parameters(row: Mapping[str, Any]) -> tuple[Any, ...]:
        values = list(take(row))
        for index, process in processed:
            values[index] = process(values[index])
        return tuple(values)

    return compiled.string, parameters


def upsert(connection: Connection, rows: Rows) -> int:
    """Insert or update rows by primary key, never replacing a newer version (rows of a
    table without versions, such as comments, are inserted once).

    ``rows`` maps read-model table names to row dicts (the rows of one table share their
    keys). Returns the number of rows sent. On SQLite the rows go to the driver's
    ``executemany`` as tuples: SQLAlchemy's own per-row preparation of an executemany
    cost 5-15% of the transaction (measured on the bench's batches).
    """
    dialect = connection.dialect.name
    if dialect not in ("postgresql", "sqlite"):
        raise RuntimeError(f"unsupported database: {dialect}")
    sent = 0
    for name, batch in rows.items():
        values = list(batch)
        if not values:
            continue
        if dialect == "postgresql":
            values = [_without_nul(v) for v in values]
            connection.execute(_upsert_statement(dialect, name), values)
        else:
            sql, parameters = _sqlite_upsert(connection.dialect, name, tuple(values[0]))
            connection.exec_driver_sql(sql, list(map(parameters, values)))
        sent += len(values)
    if rows.get("search_documents"):
        search_index.catch_up(connection)
    if sent:
        _new_generation(connection)
    return sent


def group_rows(parts: Iterable[Rows]) -> dict[str, list[Mapping[str, Any]]]:
    """Group by table the rows of parts that share no primary key (``merge_rows`` when
    they may): the rows of one batch's changed states, each state there once and each
    table one aggregate's. A third of the time of ``merge_rows``, which keys every row."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for part in parts:
        for name, batch in part.items():
            if batch:
                grouped.setdefault(name, []).extend(batch)
    return grouped


def merge_rows(parts: Iterable[Rows]) -> dict[str, list[Mapping[str, Any]]]:
    """Group the rows of many aggregates by table, last one per primary key wins."""
    merged: dict[str, dict[tuple[Any, ...], Mapping[str, Any]]] = defaultdict(dict)
    for part in parts:
        for name, batch in part.items():
            table: Table = READ_MODEL[name].__table__  # type: ignore[attr-defined]
            keys = [c.name for c in table.primary_key.columns]
            for row in batch:
                merged[name][tuple(row[k] for k in keys)] = row
    return {name: list(by_key.values()) for name, by_key in merged.items()}


def empty_read_model(connection: Connection) -> None:
    for model in READ_MODEL.values():
        connection.execute(delete(model))
    search_index.emptied(connection)
    _new_generation(connection)
