"""A dataset with an identity, that gengo owns: its manifest, journaled commits, one writer, recovery.

`<out>/<model>/` is one dataset. Its manifest records the identity (everything that shapes the bytes) and,
per file, table, format, partition, rows, size and checksum. gengo owns exactly the files its manifest
lists: it never deletes or overwrites any other file, and reports unknown files as warnings.

Commits. A unit's files are written aside (staged), then its commit record is appended to the run's
journal (`_gengo/journal/<run>.jsonl`), then the files are published under their final keys. After any
crash the journal tells which files are complete; the next writer (or any reader that can take the lock)
replays it: a recorded file that is in place is kept, one still staged is published, anything else is
dropped. So the manifest always lists exactly the complete files, and `--resume` regenerates only what is
missing. Each commit bumps the dataset's version.

Parts. A run split into parts (`--parts N --part K`) holds its part's own lock (`_gengo/parts/K-of-N.lock`)
for the whole run and the dataset lock only for moments: to check the identity when it opens (against a view
of the manifest with every part's fragment), to record its start (creating the manifest, so that a part of
other settings is refused), and when it ends. Its journal is its manifest fragment. Parts of one run can so
write at the same time, from separate processes or machines. The last part to end merges every fragment into
the manifest, once (a manifest rewritten by each of 1,000 parts would cost 1,000 rewrites); a part killed, or
one that could not get the lock, is merged by the next recovery (`gengo merge`, any gengo command). Recovery
leaves the journals and staging areas of live parts alone (a part is live while its lock is held). A run
that is not split refuses to start while a part is live.

Overwrite. A run with `--overwrite` stages every file and publishes nothing until all units are done; then
it writes the new manifest as a swap record (`_gengo/swap.json`), removes the old files the new dataset does
not have, publishes the staged ones, replaces the manifest and drops the swap record. Killed before the swap
record exists, the old dataset is untouched; killed during the swap, the next gengo command finishes it.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import socket
import uuid
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from ..errors import InputError, OutputError
from .layout import JOURNAL, LOCK, MANIFEST, PARTS, REPORTS, SCHEMA, STAGING, SWAP, is_control, part_lock
from .storage import CHECKSUMS, LockHeld, Staged, Storage

LAYOUT = "gengo-dataset/2"
READER = "reader"  # the lock holder's run id while a reader recovers a dead run's leftovers (briefly)
READER_GRACE_S = 10.0
SHORT_LOCK_WAIT_S = 120.0  # a part waits this long for the dataset lock, which others hold only for moments
# What shapes the bytes of a dataset's files: two runs agreeing on all of these write identical files for
# the same partition. Formats, workers, chunking and the window are not part of it: another format or
# other days add files to the same dataset.
IDENTITY_FIELDS = ("model", "schema_version", "output_version", "seed", "scale", "origin", "snapshot", "params",
                   "compression", "rows_per_file", "row_group_rows", "partition_by", "evolve")
Warn = Callable[[str], None]


def fingerprint(identity: dict) -> str:
    import xxhash

    return xxhash.xxh3_64(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()


def new_run_id() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


# gengo's run ids and Dagster's (UUIDs): recovery removes staging folders and journals of these names only,
# so even a file a user put into gengo's own folder stays
RUN_ID = re.compile(r"^(\d{8}T\d{6}Z-[0-9a-f]{6}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")


class IdentityMismatch(OutputError):
    """The dataset at --out was written with other settings."""


def describe_difference(old: dict, new: dict) -> str:
    """'seed 42 vs 7, scale 1.0 vs 0.5': the identity fields that differ, old value first."""
    diffs = []
    for k in IDENTITY_FIELDS:
        a, b = old.get(k), new.get(k)
        if a != b:
            if isinstance(a, dict) and isinstance(b, dict):
                keys = sorted(x for x in set(a) | set(b) if a.get(x) != b.get(x))
                diffs.append(", ".join(f"{k}.{x} {a.get(x)} vs {b.get(x)}" for x in keys[:3]))
            else:
                diffs.append(f"{k} {a} vs {b}")
    return ", ".join(diffs) or "another layout"


# ---------------------------------------------------------------- the manifest


@dataclass
class Manifest:
    """The state of a dataset: identity, version, runs, expected partitions and owned files (by key)."""

    model: str
    identity: dict
    version: int = 0
    files: dict[str, dict] = field(default_factory=dict)
    runs: list[dict] = field(default_factory=list)
    # table -> partition date ("" for a static table) -> {"parts": n, "formats": [...]}: what runs asked for
    # (and, in an evolving dataset, "schema_version": the version it is written at)
    expected: dict[str, dict[str, dict]] = field(default_factory=dict)
    legacy_files: list[str] = field(default_factory=list)  # files an older layout's manifest listed
    schema: dict | None = None  # the _schema.json entry: path, bytes, checksum

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.identity)

    @property
    def partition_by(self) -> str:
        """The folders of its partitioned tables (datasets written before the choice existed: days)."""
        return self.identity.get("partition_by") or "day"

    @property
    def legacy(self) -> bool:
        return not self.identity

    def to_doc(self) -> dict:
        tables: dict[str, dict] = {}
        for f in self.files.values():
            t = tables.setdefault(f["table"], {"rows": {}, "bytes": {}, "files": 0})
            t["rows"][f["format"]] = t["rows"].get(f["format"], 0) + f["rows"]
            t["bytes"][f["format"]] = t["bytes"].get(f["format"], 0) + f["bytes"]
            t["files"] += 1
        return {"layout": LAYOUT, "model": self.model, "fingerprint": self.fingerprint, "identity": self.identity,
                "version": self.version, "updated": _now(), "runs": self.runs[-50:], "expected": self.expected,
                "tables": tables, "files": [self.files[k] for k in sorted(self.files)],
                **({"schema": self.schema} if self.schema else {})}

    @classmethod
    def from_doc(cls, doc: dict) -> "Manifest":
        if doc.get("layout") != LAYOUT:  # written by an older gengo: its files are listed relative to the root
            return cls(doc.get("model", "?"), {}, legacy_files=[f["path"] for f in doc.get("files", []) if "path" in f])
        return cls(doc["model"], doc["identity"], doc.get("version", 0), {f["path"]: f for f in doc.get("files", [])},
                   doc.get("runs", []), doc.get("expected", {}), schema=doc.get("schema"))

    def add_expected(self, expected: dict[str, dict[str, dict]]) -> None:
        for table, parts in expected.items():
            mine = self.expected.setdefault(table, {})
            for date, want in parts.items():
                old = mine.get(date, {"parts": want["parts"], "formats": []})
                mine[date] = {"parts": want["parts"], "formats": sorted(set(old["formats"]) | set(want["formats"]))}
                if "schema_version" in want:
                    mine[date]["schema_version"] = want["schema_version"]

    def expected_keys(self) -> set[str]:
        from .layout import part_key

        keys = set()
        for table, parts in self.expected.items():
            for date, want in parts.items():
                day = dt.date.fromisoformat(date) if date else None
                for fmt in want["formats"]:
                    keys.update(part_key(fmt, table, day, p, self.partition_by) for p in range(want["parts"]))
        return keys


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _dumps(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), default=str).encode()


def _journal_key(run_id: str) -> str:
    return f"{JOURNAL}/{run_id}.jsonl"


def _staging(run_id: str) -> str:
    return f"{STAGING}/{run_id}"


def _records(storage: Storage, key: str) -> list[dict]:
    data = storage.read(key) or b""
    out = []
    for line in data.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:  # a record cut off by a crash: it was never committed
            break
    return out


# ---------------------------------------------------------------- reading and recovering


def load(storage: Storage) -> Manifest | None:
    """The compacted manifest (None: no dataset here yet)."""
    data = storage.read(MANIFEST)
    if data is None:
        return None
    try:
        return Manifest.from_doc(json.loads(data))
    except (ValueError, KeyError, TypeError):
        raise InputError(f"{storage.url}/{MANIFEST} is not a gengo manifest (unreadable JSON)",
                         "restore it, or move the folder away and generate again") from None


def _journal_keys(storage: Storage, live: frozenset[str] = frozenset()) -> list[str]:
    return [e.key for e in storage.list(JOURNAL) if e.key.endswith(".jsonl") and RUN_ID.match(e.key[len(JOURNAL) + 1:-6])
            and e.key[len(JOURNAL) + 1:-6] not in live]


def _replay(storage: Storage, manifest: Manifest | None, publish: bool, live: frozenset[str] = frozenset(),
            journals: list[tuple[str, list[dict]]] | None = None) -> tuple[Manifest | None, list[str]]:
    """Apply the journals of finished or dead runs (the caller holds the lock, or `publish` is False and
    the result is only a view), but not those of the `live` runs (parts still writing). Commits get the
    dataset's next versions in the order they are applied (parts' journals were numbered independently).
    `journals`: (key, records) read already (see view). Returns the manifest and the journal keys applied."""
    if journals is None:
        journals = [(key, _records(storage, key)) for key in _journal_keys(storage, live)]
    keys = [key for key, _ in journals]
    for key, records in journals:
        if not records or records[0].get("op") != "begin":
            continue
        begin = records[0]
        if begin["mode"] == "overwrite":
            continue  # an overwrite that never reached its swap: the old dataset stands
        if manifest is None:
            manifest = Manifest(begin["model"], begin["identity"])
        elif manifest.fingerprint != begin["fingerprint"]:
            continue  # cannot happen under the lock; never mix identities
        manifest.add_expected(begin.get("expected", {}))
        end = next((r for r in records if r.get("op") == "end"), None)
        published = bool(end and end.get("published"))  # its writer saw every commit in place: no need to look
        for rec in records[1:]:
            if rec.get("op") != "commit":
                continue
            version = manifest.version + 1
            for f in rec["files"]:
                staged = Staged.from_dict(f["staged"])
                found = None if published else storage.stat(f["path"])
                if not published and (found is None or found.size != f["bytes"]):
                    if not (publish and storage.staged_exists(staged)):
                        continue
                    storage.publish(staged)  # recorded but not yet moved into place when the run died
                manifest.files[f["path"]] = {k: v for k, v in f.items() if k != "staged"} | {"version": version}
            manifest.version = version
        run = {**begin["run"], "status": end["status"] if end else "interrupted",
               "finished": end["time"] if end else None}
        manifest.runs = [r for r in manifest.runs if r.get("run_id") != run["run_id"]] + [run]
    return manifest, keys


def view(storage: Storage) -> Manifest | None:
    """The dataset with every journal's commits (live parts' too), without the lock: a reader's view. The
    journals are read before the manifest, so one merged meanwhile is seen twice (the same entries), never
    missed: a merge writes the manifest before it removes the journals."""
    journals = [(key, _records(storage, key)) for key in _journal_keys(storage)]
    return _replay(storage, load(storage), publish=False, journals=journals)[0]


def _apply_swap(storage: Storage) -> bool:
    """Finish an overwrite whose swap record exists (idempotent). True if there was one."""
    data = storage.read(SWAP)
    if data is None:
        return False
    swap = json.loads(data)
    new_keys = {f["path"] for f in swap["manifest"]["files"]}
    for key in swap["remove"]:
        if key not in new_keys:
            storage.remove(key)
    for f in swap["staged"]:
        staged = Staged.from_dict(f)
        if storage.staged_exists(staged):
            storage.publish(staged)
    storage.put(MANIFEST, _dumps(swap["manifest"]))
    storage.remove(SWAP)
    storage.remove_prefix(_staging(swap["run_id"]))
    storage.remove(_journal_key(swap["run_id"]))
    return True


def _live_part_holders(storage: Storage) -> Iterator[tuple[str, dict]]:
    """(lock key, holder) of each part writing now, lazily (a part is live while its lock is held; the lock of
    an ended or dead part met on the way is removed)."""
    for e in storage.list(PARTS):
        if not e.key.endswith(".lock"):
            continue
        try:
            lock = _take_lock(storage, e.key, _holder(READER), 0.0)
        except LockHeld as held:
            yield e.key, held.holder
            continue
        lock.release(forget=True)


def live_parts(storage: Storage) -> dict[str, dict]:
    """The parts writing now: run id -> lock holder."""
    return {holder.get("run_id", key): holder for key, holder in _live_part_holders(storage)}


def another_part_live(storage: Storage, own: str) -> bool:
    """Whether a part other than the run `own` is writing now: live_parts, but it stops at the first live
    one (a part ending among 1,000 running probes one lock, not 999)."""
    return any(holder.get("run_id") != own for _, holder in _live_part_holders(storage))


def _schema_entry(data: bytes) -> dict:
    return {"path": SCHEMA, "bytes": len(data), "xxh3_128": CHECKSUMS["xxh3_128"](data).hexdigest()}


def recover(storage: Storage, own: str | None = None) -> Manifest | None:
    """Under the lock: finish an interrupted swap, replay the journals of ended or dead runs (and of `own`,
    the caller's part run, which has ended) into the manifest, remove their staging areas, leaving live
    parts' alone. Returns the current manifest."""
    _apply_swap(storage)
    live = frozenset(live_parts(storage)) - {own}
    manifest, applied = _replay(storage, load(storage), publish=True, live=live)
    if manifest is not None and manifest.schema is None and applied:  # parts: the _schema.json they wrote
        data = storage.read(SCHEMA)
        if data is not None:
            manifest.schema = _schema_entry(data)
    if applied:
        if manifest is not None:
            storage.put(MANIFEST, _dumps(manifest.to_doc()))
        for key in applied:
            storage.remove(key)
    # by folder, not by file: a dead run's staging area can be empty (the replay above published its last
    # commit's files, or it died between making the folder and opening a file), and must go all the same
    for run in storage.children(STAGING) - live:
        if RUN_ID.match(run):  # its run is not alive (the caller holds the lock, no live part): garbage
            storage.remove_prefix(_staging(run))
    return manifest


def read_current(storage: Storage) -> tuple[Manifest | None, dict | None]:
    """The dataset as a reader sees it now: recovered for good if no writer holds the lock (any gengo command
    finishes what a dead run left), else a view that includes the running writer's commits so far.
    Returns (manifest, the live writer's lock holder or None)."""
    if storage.read(MANIFEST) is None and not any(True for _ in storage.list(JOURNAL)):
        return None, None
    try:
        lock = storage.lock(LOCK, _holder(READER))
    except LockHeld as held:
        return view(storage), held.holder
    except OutputError:  # a read-only location: look without repairing
        return view(storage), None
    with lock:
        return recover(storage), None


def merge(storage: Storage, lock_timeout: float = 0.0) -> tuple[Manifest | None, dict[str, dict]]:
    """`gengo merge`: fold every ended part's fragment (and any dead run's journal) into the manifest, under
    the dataset lock. Returns the manifest and the parts still writing (run id -> holder)."""
    with _take_lock(storage, LOCK, _holder(READER), lock_timeout):
        manifest = recover(storage)
        return manifest, live_parts(storage)


def _holder(run_id: str) -> dict:
    return {"pid": os.getpid(), "host": socket.gethostname(), "run_id": run_id, "since": _now()}


def _take_lock(storage: Storage, key: str, holder: dict, timeout: float, on_wait=None):
    """storage.lock, but a lock held for a moment by a reader or a probe (or being taken or released: no
    holder written) is waited for, up to READER_GRACE_S, whatever the timeout."""
    try:
        return storage.lock(key, holder, timeout, on_wait)
    except LockHeld as held:
        if held.holder and held.holder.get("run_id") != READER:
            raise
        return storage.lock(key, holder, max(timeout, READER_GRACE_S), on_wait)


# ---------------------------------------------------------------- checks of the files against the manifest


def verify_file(storage: Storage, entry: dict) -> str | None:
    """None if the file is in place with its recorded size and checksum, else why not."""
    found = storage.stat(entry["path"])
    if found is None:
        return "missing"
    if found.size != entry["bytes"]:
        return f"altered (size {found.size:,} bytes, the manifest says {entry['bytes']:,})"
    algorithm = next((k for k in CHECKSUMS if k in entry), None)
    if algorithm is None:
        return None
    h = CHECKSUMS[algorithm]()
    with storage.open(entry["path"]) as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
    return None if h.hexdigest() == entry[algorithm] else "altered (checksum differs from the manifest)"


def unknown_files(storage: Storage, manifest: Manifest | None, tables: Iterable[str] | None = None) -> list[str]:
    """Files in the dataset folder that gengo does not own (not listed, not its bookkeeping or reports); with
    `tables` (prefixes `<format>/<table>`), only in those folders and at the top of the dataset and its format
    roots: what a run writing those tables passes by."""
    owned = set(manifest.files) if manifest else set()
    if tables is None:
        entries = storage.list()
    else:
        roots = sorted({""} | {t.split("/")[0] for t in tables})
        entries = sorted({e for r in roots for e in storage.list(r, recursive=False)} |
                         {e for t in tables for e in storage.list(t)}, key=lambda e: e.key)
    return [e.key for e in entries if not is_control(e.key) and e.key not in owned and not e.key.startswith(REPORTS + "/")]


# ---------------------------------------------------------------- the one writer


@dataclass
class CommittedFile:
    """A published file, as the manifest lists it."""

    path: str
    table: str
    format: str
    date: str | None
    part: int
    rows: int
    bytes: int
    checksums: dict[str, str]


class DatasetWriter:
    """The one writer of a dataset for a run: holds the lock from open() to close().

    mode "update": partitions are added or replaced (same identity only); "overwrite": the dataset is
    replaced by this run's files when all of them are done. `part`: (K, N), the run is part K of N (update
    mode only): it holds its part's lock, and the dataset lock only for moments (see the module's notes)."""

    def __init__(self, storage: Storage, identity: dict | None, mode: str = "update", run_id: str | None = None,
                 lock_timeout: float = 0.0, warn: Warn | None = None, on_wait: Callable[[dict], None] | None = None,
                 part: tuple[int, int] | None = None) -> None:
        assert mode in ("update", "overwrite") and not (part and mode == "overwrite")
        self.part = part
        self.storage = storage
        self.identity = identity
        self.mode = mode
        self.run_id = run_id or new_run_id()
        if not RUN_ID.match(self.run_id):
            raise OutputError(f"run id {self.run_id!r} is not a gengo or Dagster run id", "leave it to gengo")
        self.lock_timeout = lock_timeout
        self.warn = warn or (lambda msg: None)
        self.on_wait = on_wait
        self.manifest: Manifest | None = None  # what the dataset holds (the old one, during an overwrite)
        self.next: Manifest | None = None  # what it will hold when this run is done
        self.staged: list[dict] = []  # overwrite: staged files, published at the swap
        self.commits = 0
        self._lock = None
        self._began = False
        self._fresh = False
        self._wrote = False  # a run began: its journal, manifest or files exist
        self.schema: bytes | None = None
        self._unpublished = False  # a commit's files are being published (still, if that failed)

    @property
    def stage(self) -> str:
        return _staging(self.run_id)

    @property
    def url(self) -> str:
        return self.storage.url

    # ---------------------------------------------------------------- opening

    def open(self) -> "DatasetWriter":
        """Take the lock (within `lock_timeout`) and recover what a dead run left. Then set_identity()."""
        self.storage.check_writable(create=False)
        self._fresh = not self.storage.exists()  # nothing here yet: if this run writes nothing, leave nothing
        if self.part is None:
            self._lock = _take_lock(self.storage, LOCK, _holder(self.run_id), self.lock_timeout, self.on_wait)
        else:
            self._lock = _take_lock(self.storage, part_lock(*self.part), _holder(self.run_id), self.lock_timeout, self.on_wait)
        try:
            if self.part is None:
                live = live_parts(self.storage)
                if live:
                    raise LockHeld(f"the dataset at {self.url} (a part of a run split into parts)", next(iter(live.values())))
                self.manifest = recover(self.storage)
            else:  # a view with every part's fragment: merging is left to the last part, once
                with self._dataset_lock():  # a moment: no whole run is writing, no overwrite left half-swapped
                    _apply_swap(self.storage)
                self.manifest = view(self.storage)  # outside it: 1,000 parts starting do not queue on reads
            if self.identity is not None:
                self._check_identity()
        except BaseException:
            self.close()
            raise
        return self

    @contextlib.contextmanager
    def _dataset_lock(self):
        """A part's moment under the dataset lock (others hold it for moments too; a whole run longer)."""
        lock = _take_lock(self.storage, LOCK, _holder(self.run_id), max(self.lock_timeout, SHORT_LOCK_WAIT_S))
        try:
            yield
        finally:
            lock.release(forget=self._fresh and not self._wrote)

    def set_identity(self, identity: dict) -> None:
        """The run's identity, known once it is planned: checked against the dataset's."""
        self.identity = identity
        self._check_identity()

    def _check_identity(self) -> None:
        m = self.manifest
        if m is None or self.mode == "overwrite":
            return
        if m.legacy:
            raise IdentityMismatch(f"{self.url} holds a dataset written by an older gengo (another layout)",
                                   "write to another --out, or pass --overwrite to replace it")
        if m.fingerprint != fingerprint(self.identity):
            raise IdentityMismatch(f"{self.url} holds a {m.model} dataset with other settings "
                                   f"({describe_difference(m.identity, self.identity)}; the first is the dataset's)",
                                   "write to another --out, or pass --overwrite to replace it")

    def preflight(self, targets: Iterable[str]) -> list[str]:
        """Before any byte is written: refuse if a file gengo does not own sits at a key this run writes;
        warn about other unknown files (left alone). Returns the unknown files."""
        targets = set(targets)
        owned = self.manifest
        if self.part:  # what live parts have committed is theirs, not a stranger's
            owned = view(self.storage) or owned
        unknown = unknown_files(self.storage, owned, {"/".join(k.split("/")[:2]) for k in targets})
        if self.manifest is not None and self.manifest.legacy:
            legacy = set(self.manifest.legacy_files)
            unknown = [k for k in unknown if k not in legacy and k != MANIFEST]
        in_the_way = sorted(set(unknown) & set(targets))
        if in_the_way:
            raise OutputError(f"a file gengo does not own is where this run writes: {self.url}/{in_the_way[0]}"
                              + (f" (and {len(in_the_way) - 1} more)" if len(in_the_way) > 1 else ""),
                              "move it away, or write to another --out")
        if unknown:
            shown = ", ".join(unknown[:3]) + (", ..." if len(unknown) > 3 else "")
            self.warn(f"{len(unknown)} file(s) in {self.url} are not gengo's and were left alone ({shown})")
        return unknown

    def complete(self, keys: Iterable[str]) -> set[str]:
        """The keys (of the current dataset) whose files are in place and match their size and checksum."""
        if self.manifest is None or self.mode == "overwrite":
            return set()
        out = set()
        for key in keys:
            entry = self.manifest.files.get(key)
            if entry is not None and verify_file(self.storage, entry) is None:
                out.add(key)
        return out

    def begin(self, expected: dict[str, dict[str, dict]], window: dict, schema: bytes | None = None) -> None:
        """Record the run (its window, formats, and the partitions it will write) before its first commit;
        `schema` (the _schema.json bytes) is written with the manifest at the end."""
        self.schema = schema
        run = {"run_id": self.run_id, "host": socket.gethostname(), "pid": os.getpid(), "started": _now(),
               "mode": self.mode, **window, **({"part": f"{self.part[0]}/{self.part[1]}"} if self.part else {})}
        base = self.manifest if (self.mode == "update" and self.manifest is not None) else None
        self.next = Manifest(self.identity["model"], self.identity, base.version if base else 0,
                             dict(base.files) if base else {}, list(base.runs) if base else [],
                             json.loads(json.dumps(base.expected)) if base else {}, schema=base.schema if base else None)
        if self.mode == "overwrite" and self.manifest is not None and not self.manifest.legacy:
            self.next.version = self.manifest.version
        self.next.add_expected(expected)
        self.next.runs.append({**run, "status": "running"})
        with self._dataset_lock() if self.part else contextlib.nullcontext():
            if self.part:  # another part may have created the dataset since open(): same settings only
                self.manifest = load(self.storage) or self.manifest
                self._check_identity()
                if self.manifest is None:
                    self.storage.put(MANIFEST, _dumps(Manifest(self.identity["model"], self.identity).to_doc()))
            self.storage.append(_journal_key(self.run_id), _dumps(
                {"op": "begin", "mode": self.mode, "model": self.identity["model"], "identity": self.identity,
                 "fingerprint": fingerprint(self.identity), "expected": expected, "run": run}) + b"\n")
            self._began = self._wrote = True

    # ---------------------------------------------------------------- commits

    def commit(self, files: list[tuple[CommittedFile, Staged]]) -> None:
        """Record one unit's staged files, then (update mode) publish them: in place, then listed."""
        self.next.version += 1
        entries = []
        for f, staged in files:
            entry = {"path": f.path, "table": f.table, "format": f.format, "date": f.date, "part": f.part,
                     "rows": f.rows, "bytes": f.bytes, **f.checksums, "version": self.next.version, "run": self.run_id}
            entries.append({**entry, "staged": staged.to_dict()})
            self.next.files[f.path] = entry
        self.storage.append(_journal_key(self.run_id), _dumps(
            {"op": "commit", "version": self.next.version, "files": entries}) + b"\n")
        if self.mode == "update":
            self._unpublished = True
            for _, staged in files:
                self.storage.publish(staged)
            self._unpublished = False
        else:
            self.staged.extend(s.to_dict() for _, s in files)
        self.commits += 1

    def finish(self, status: str) -> None:
        """End the run: `status` "ok" (overwrite: swap now), "failed" or "interrupted" (update: what was
        committed stays; overwrite: the old dataset stays)."""
        if not self._began:
            return
        run = self.next.runs[-1]
        run.update(status=status, finished=_now())
        self.storage.append(_journal_key(self.run_id), _dumps({"op": "end", "status": status, "time": _now(),
                                                               "published": self.mode == "update" and not self._unpublished}) + b"\n")
        if self.schema is not None and (self.mode == "update" or status == "ok"):
            # the same bytes from every run of one identity (parts too): written whole, then listed
            self.storage.put(SCHEMA, self.schema)
            self.next.schema = _schema_entry(self.schema)
        if self.part:
            self._merge()
        elif self.mode == "update":
            self.storage.put(MANIFEST, _dumps(self.next.to_doc()))
            self.storage.remove(_journal_key(self.run_id))
        elif status == "ok":
            old = self.manifest
            remove = (sorted(old.files) if old and not old.legacy else list(old.legacy_files) if old else [])
            self.storage.put(SWAP, _dumps({"run_id": self.run_id, "manifest": self.next.to_doc(), "remove": remove,
                                           "staged": self.staged}))
            _apply_swap(self.storage)
        else:
            self.storage.remove(_journal_key(self.run_id))
        if not self.part:
            self.manifest = self.next if (self.mode == "update" or status == "ok") else self.manifest
        self._began = False

    def _merge(self) -> None:
        """A part has ended. The last one running merges every ended part's fragment (journal) into the manifest,
        once; an earlier one leaves its fragment to it. Whether another part is still running is decided, and
        this part's lock released, under the dataset lock: of parts ending together, the last one through it
        sees none running and merges."""
        try:
            with self._dataset_lock():
                if not another_part_live(self.storage, self.run_id):
                    self.manifest = recover(self.storage, own=self.run_id)
                else:  # not yet merged: what the manifest says so far
                    self.manifest = load(self.storage) or self.manifest
                self._lock.release()
                self._lock = None
        except LockHeld as held:
            self.warn(f"part {self.part[0]} of {self.part[1]} is committed, but the manifest could not be updated: "
                      f"{held.problem}; `gengo merge` (or the next gengo command) merges it")

    def close(self) -> None:
        """Release the lock after removing this run's staging area (whatever happened). A dataset that did
        not exist and got no run (refused settings, a bad plan) is left as it was: not there."""
        try:
            self.storage.remove_prefix(self.stage)
        finally:
            if self._lock is not None:
                self._lock.release(forget=self._fresh and not self._wrote)
                self._lock = None

    def __enter__(self) -> "DatasetWriter":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()
