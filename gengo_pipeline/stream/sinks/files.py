"""`file:DIR` (a folder or any storage URL, `file:s3://bucket/prefix`): rotating part files per table, in the
batch layout and formats (`DIR/<format>/<table>/date=YYYY-MM-DD/part-NNNNN.<ext>`, NNNNN the file's first row
within its day; with `--partition-by month` or `none`, as `gengo gen` lays them out, NNNNN the file's first row
of the table, so the days sharing a folder never share a name).

Files are written through the storage seam's two phases: staged while open, published (renamed into place)
when they rotate, all open files together, every `rotate_rows` events, `rotate_seconds` seconds or at a day's
end. So a reader never sees a partial file, and the files in place hold exactly the events before the offset
recorded with them in `DIR/_gengo/stream.json` (what a killed stream resumes from). The folder is locked
while a stream writes it.
"""
from __future__ import annotations

import json
import os
import socket
import time

from ...errors import UsageError
from ...formats import encoder
from ...run.plan import encode_options
from ...run.settings import GengoSettings
from ...store.layout import LOCK, STAGING, part_key
from ...store.storage import open_storage
from . import Sink

STATE = "_gengo/stream.json"
STAGE = f"{STAGING}/stream"


class FileSink(Sink):
    scheme = "file"

    def __init__(self, target: str, options: dict) -> None:
        super().__init__(target, options)
        if not target:
            raise UsageError("--sink file needs a folder", "write it as file:DIR")
        self.fmt = options.get("format", "jsonl")
        self.rotate_rows = int(options.get("rotate_rows", 1_000_000))
        self.rotate_seconds = float(options.get("rotate_seconds", 60.0))
        self.settings = options.get("settings") or GengoSettings()
        self.by = options.get("partition_by") or self.settings.partition_by or "day"
        self.storage = open_storage(target)
        self.storage.check_writable(create=True)
        self.open_files: dict[str, tuple] = {}  # table -> (upload, encoder)
        self.pending = 0
        self.opened_at = time.monotonic()
        self.day = None
        self.lock = None

    def open(self, stream, start) -> None:
        super().open(stream, start)
        self.stream = stream
        self.position = start  # the offset after the last event written (committed or not)
        self.lock = self.storage.lock(LOCK, {"pid": os.getpid(), "host": socket.gethostname(), "run_id": "stream"})
        self.storage.remove_prefix(STAGE)  # a killed stream's unfinished files: never published, dropped
        stored = self.stored_offset(stream)
        if stored is not None and stored != str(start):
            self._release()
            raise UsageError(f"{self.target} already holds a stream up to offset {stored}",
                             "resume with --from-offset sink, or stream to another folder")

    def write(self, block, a, b, after) -> None:
        if self.day is not None and block.day != self.day:
            self._rotate(self.position)
        self.day = block.day
        for table, frame in block.slices(a, b):
            self._file(table, block).write(frame)
        self.pending += b - a
        self.position = after
        if self.pending >= self.rotate_rows or time.monotonic() - self.opened_at >= self.rotate_seconds:
            self._rotate(after)

    def stored_offset(self, stream) -> str | None:
        data = self.storage.read(STATE)
        return json.loads(data)["offset"] if data else None

    def room(self) -> int:
        return max(1, self.rotate_rows - self.pending)

    def _file(self, table: str, block):
        if table not in self.open_files:
            i = self.stream.tables.index(table)
            rt = self.stream.runtimes[i]
            # first row of this file within its day: the table's cursor in the offset before these events
            first = self.position.cursors[i]
            date = None if self.stream.static[i] else self.stream.engine.date_of_day(block.day)
            if date is not None and self.by != "day":  # days share a folder: number by the row within the table
                first += rt.volume.day_range(block.day)[0]
            upload = self.storage.create(part_key(self.fmt, table, date, first, self.by), STAGE, self.settings.checksum)
            self.open_files[table] = (upload, encoder(self.fmt, upload, rt.schema, encode_options(self.settings, rt)))
        return self.open_files[table][1]

    def _rotate(self, after) -> None:
        staged = []
        for upload, enc in self.open_files.values():
            enc.close()
            staged.append(upload.finish())
        for s in staged:
            self.storage.publish(s)
        self.open_files.clear()
        self.storage.put(STATE, json.dumps({"offset": str(after)}).encode())
        self.committed = after
        self.pending = 0
        self.opened_at = time.monotonic()

    def close(self) -> None:
        if self.open_files or self.position != self.committed:
            self._rotate(self.position)
        self._release()

    def abort(self) -> None:
        for upload, enc in self.open_files.values():
            enc.abandon()
            upload.abort()
        self.open_files.clear()
        self._release()

    def _release(self) -> None:
        if self.lock is not None:
            self.storage.remove_prefix(STAGE)
            self.lock.release()
            self.lock = None
