"""`postgres:DSN`: rows into PostgreSQL tables created from the model's schema, exactly once.

Each write is one transaction: the events' rows by COPY (one COPY per table), then the stream's offset in
`_gengo_stream` (one row per stream identity). If the server goes away, the write is retried with backoff
on a new connection; whether the lost transaction committed is read from that offset, so nothing is
applied twice or lost. A stream whose rows the database already holds is refused unless it resumes from
the stored offset (`--from-offset sink`).

Change data: a change log's rows (`<table>_changes`) are kept in a table of that name and applied to their table
in the same transaction: the last change of each row in the write decides, a delete removes the row, an update
upserts its values (by the table's key).
"""
from __future__ import annotations

import io

from ...engine.runtime import decimal_of
from ...errors import OutputError, UsageError
from ...formats.text import text_ready
from . import BatchingSink
from .retry import with_backoff

OFFSETS = "_gengo_stream"
TYPES = {"int64": "bigint", "int32": "integer", "float64": "double precision", "string": "text", "date": "date",
         "timestamp": "timestamp", "bool": "boolean"}


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def column_type(type_name: str) -> str:
    dec = decimal_of(type_name)
    return f"numeric({dec[0]},{dec[1]})" if dec else TYPES[type_name]


class PostgresSink(BatchingSink):
    scheme = "postgres"

    def __init__(self, target: str, options: dict) -> None:
        super().__init__(target, options)
        if not target:
            raise UsageError("--sink postgres needs a connection string", "write it as postgres:postgresql://user@host:port/db")
        try:
            import psycopg
        except ModuleNotFoundError:
            raise UsageError("the postgres sink needs psycopg", "pip install 'gengo-pipeline[stream]'") from None
        self.psycopg = psycopg
        self.retry_seconds = float(options.get("retry_seconds", 120.0))
        self.wait = options.get("wait")
        self.conn = None

    # ---------------------------------------------------------------- connection

    def _connect(self):
        if self.conn is None or self.conn.closed:
            self.conn = self.psycopg.connect(self.target, connect_timeout=5, autocommit=False)
        return self.conn

    def _drop(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:  # noqa: BLE001 - the connection is already broken
                pass
            self.conn = None

    def _retrying(self, attempt, what: str):
        def once():
            try:
                return attempt(self._connect())
            except self.psycopg.OperationalError:
                self._drop()
                raise
        return with_backoff(once, (self.psycopg.OperationalError,), what,
                            "check that the server runs and the DSN is right", self.retry_seconds, self.wait)

    # ---------------------------------------------------------------- the stream

    def _first_connect(self, stream):
        """The first connection fails at once (a wrong DSN or a server not started is no outage)."""
        self.key = f"{stream.engine.model.name}:{stream.fingerprint}"
        try:
            return self._connect()
        except self.psycopg.OperationalError as e:
            raise OutputError(f"cannot reach PostgreSQL at {self._where()} ({str(e).strip().splitlines()[0]})",
                              "start the server or fix the DSN") from None

    def open(self, stream, start) -> None:
        super().open(stream, start)
        conn = self._first_connect(stream)
        self.applies = {name: parent.spec for name, parent in zip(stream.tables, stream.changed) if parent is not None}
        with conn.cursor() as cur:
            specs = [rt.spec for rt in stream.runtimes]
            specs += [p for p in self.applies.values() if p.name not in stream.tables]  # the table its changes apply to
            for spec in specs:
                cols = ", ".join(f"{_ident(c.name)} {column_type(c.type)}" for c in spec.output_columns)
                key = f", PRIMARY KEY ({_ident(spec.key)})" if spec.key else ""
                cur.execute(f"CREATE TABLE IF NOT EXISTS {_ident(spec.name)} ({cols}{key})")
            cur.execute(f"CREATE TABLE IF NOT EXISTS {OFFSETS} (stream text PRIMARY KEY, \"offset\" text NOT NULL, "
                        "events bigint NOT NULL, updated timestamptz NOT NULL DEFAULT now())")
            stored = self._stored(cur)
        conn.commit()
        if stored is not None and stored != str(start):
            raise UsageError(f"PostgreSQL already holds this stream up to offset {stored}",
                             "resume with --from-offset sink (or drop its tables)")

    def _stored(self, cur) -> str | None:
        cur.execute(f'SELECT "offset" FROM {OFFSETS} WHERE stream = %s', (self.key,))
        row = cur.fetchone()
        return row[0] if row else None

    def stored_offset(self, stream) -> str | None:
        conn = self._first_connect(stream)
        with conn.cursor() as cur:
            cur.execute(f"SELECT to_regclass('{OFFSETS}') IS NOT NULL")
            stored = self._stored(cur) if cur.fetchone()[0] else None
        conn.commit()
        return stored

    def encode(self, block, a, b) -> list[tuple[str, list[str], bytes]]:
        out = []
        for table, frame in block.slices(a, b):
            buf = io.BytesIO()
            text_ready(frame).write_csv(buf, include_header=False)
            out.append((table, list(frame.columns), buf.getvalue()))
        return out

    def deliver(self, pending: list, events: int, after) -> None:
        payload: dict[str, tuple[list[str], list[bytes]]] = {}
        for table, cols, data in (item for piece in pending for item in piece):
            payload.setdefault(table, (cols, []))[1].append(data)
        before = str(self.committed)

        def apply(conn):
            with conn.cursor() as cur:
                stored = self._stored(cur)
                if stored == str(after):  # the transaction lost with the connection had committed
                    conn.rollback()
                    return
                if stored not in (None, before):
                    raise OutputError(f"PostgreSQL holds this stream at offset {stored}, not {before}",
                                      "another stream writes the same tables: stop it")
                for table, (cols, chunks) in payload.items():  # a batch's inserts first: its changes may change them
                    if table not in self.applies:
                        self._copy(cur, table, cols, chunks)
                for table, (cols, chunks) in payload.items():
                    if table in self.applies:
                        self._apply_changes(cur, table, cols, chunks)
                cur.execute(f'INSERT INTO {OFFSETS} (stream, "offset", events) VALUES (%s, %s, %s) '
                            f'ON CONFLICT (stream) DO UPDATE SET "offset" = excluded."offset", '
                            f'events = {OFFSETS}.events + excluded.events, updated = now()', (self.key, str(after), events))
            conn.commit()

        self._retrying(apply, f"writing to PostgreSQL at {self._where()}")

    @staticmethod
    def _copy(cur, table: str, cols: list[str], chunks: list[bytes]) -> None:
        with cur.copy(f"COPY {_ident(table)} ({', '.join(map(_ident, cols))}) FROM STDIN (FORMAT csv)") as copy:
            for data in chunks:
                copy.write(data)

    def _apply_changes(self, cur, log: str, cols: list[str], chunks: list[bytes]) -> None:
        """The change log's rows into its table, and each changed row's last change applied to the changing table."""
        spec = self.applies[log]
        staged = _ident(f"_gengo_staged_{log}")
        cur.execute(f"CREATE TEMP TABLE {staged} (LIKE {_ident(log)}) ON COMMIT DROP")
        self._copy(cur, f"_gengo_staged_{log}", cols, chunks)
        cur.execute(f"INSERT INTO {_ident(log)} SELECT * FROM {staged}")
        key = _ident(spec.key)
        last = f"(SELECT DISTINCT ON ({key}) * FROM {staged} ORDER BY {key}, changed_at DESC, version DESC) last"
        cur.execute(f"DELETE FROM {_ident(spec.name)} t USING {last} WHERE t.{key} = last.{key} AND last.change_op = 'delete'")
        names = [c.name for c in spec.output_columns]
        sets = ", ".join(f"{_ident(n)} = excluded.{_ident(n)}" for n in names if n != spec.key)
        cur.execute(f"INSERT INTO {_ident(spec.name)} ({', '.join(map(_ident, names))}) "
                    f"SELECT {', '.join('last.' + _ident(n) for n in names)} FROM {last} WHERE last.change_op = 'update' "
                    f"ON CONFLICT ({key}) DO UPDATE SET {sets}")
        cur.execute(f"DROP TABLE {staged}")

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._drop()

    def abort(self) -> None:
        self._drop()

    def _where(self) -> str:
        try:
            info = self.psycopg.conninfo.conninfo_to_dict(self.target)
        except Exception:  # noqa: BLE001 - a DSN psycopg cannot read: name it as given
            return "the given DSN"
        return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}"
