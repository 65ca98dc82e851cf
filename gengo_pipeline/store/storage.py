"""The storage seam: everything gengo does to a dataset's bytes goes through one small interface.

A `Storage` holds objects under '/'-separated keys below one root. Writing is two-phase, so that a file
never appears under its final key before it is complete, on a file system (write aside, then rename) as on
an object store with no rename (a multipart upload, completed only on publish):

    upload = storage.create(key, stage)   # a binary sink; bytes are hashed as they are written
    staged = upload.finish()              # durable, not yet visible under `key`
    storage.publish(staged)               # atomic: visible under `key`, replacing what was there
    storage.discard(staged)               # or: gone

The rest is what a dataset's owner needs: small atomic objects (manifest, journal, lock holder), listing,
removal and an exclusive lock with a readable holder. `LocalStorage` is the first implementation; another
backend registers a URL scheme in STORAGES and implements the same methods.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import time
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import xxhash

from ..errors import OutputError

# checksum name -> hash constructor; xxh3_128 hex equals `xxhsum -H2`, sha256 `sha256sum`
CHECKSUMS: dict[str, Callable] = {"xxh3_128": xxhash.xxh3_128, "sha256": hashlib.sha256}
_SEGMENT = re.compile(r"^[A-Za-z0-9_=.+-]+$")


def check_key(key: str) -> str:
    """A key is relative, '/'-separated, and each segment a plain name: no '', '.', '..', NUL or separator
    tricks. So no key can address anything outside the storage root."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") or not _SEGMENT.match(p) for p in parts):
        raise OutputError(f"refusing to write {key!r}: not a plain relative path inside the dataset", "use safe names")
    return key


@dataclass(frozen=True)
class Entry:
    key: str
    size: int


@dataclass
class Staged:
    """A finished upload, not yet visible under `key`. `token` is what the backend needs to publish it."""

    key: str
    size: int
    checksums: dict[str, str]
    token: str

    def to_dict(self) -> dict:
        return {"key": self.key, "size": self.size, **self.checksums, "token": self.token}

    @classmethod
    def from_dict(cls, d: dict) -> "Staged":
        return cls(d["key"], d["size"], {k: d[k] for k in CHECKSUMS if k in d}, d["token"])


class LockHeld(OutputError):
    """Another writer holds the dataset lock."""

    def __init__(self, what: str, holder: dict) -> None:
        self.holder = holder
        who = (f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}, run {holder.get('run_id', '?')}, "
               f"since {holder.get('since', '?')}") if holder else "an unknown process"
        super().__init__(f"{what} is being written by another gengo run ({who})",
                         "wait for it to finish or stop it, or write to another --out")


class Upload(io.RawIOBase):
    """A binary sink for one object: counts and hashes the bytes on their way to the backend's sink."""

    def __init__(self, key: str, sink, checksum: str, token: str, on_abort: Callable[[], None]) -> None:
        super().__init__()
        self.key, self.token = key, token
        self._sink = sink
        self._hash = CHECKSUMS[checksum]() if checksum != "none" else None
        self._checksum = checksum
        self._on_abort = on_abort
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if self._hash is not None:
            self._hash.update(data)
        n = self._sink.write(data)
        self.size += len(data) if n is None else n
        return len(data) if n is None else n

    def finish(self) -> Staged:
        if self.closed:
            raise OutputError(f"{self.key}: the upload was closed before it finished", "this is a bug in gengo; please report it")
        self._sink.close()
        io.RawIOBase.close(self)
        return Staged(self.key, self.size, {self._checksum: self._hash.hexdigest()} if self._hash else {}, self.token)

    def abort(self) -> None:
        try:
            self._sink.close()
        except Exception:  # noqa: BLE001 - cleaning up after an earlier error
            pass
        io.RawIOBase.close(self)
        self._on_abort()

    def close(self) -> None:
        """Closing (e.g. by a library that was handed the sink) only closes: finish() or abort() decide. An
        upload never finished stays in the run's staging area, which the run removes whole."""
        if not self.closed:
            try:
                self._sink.close()
            finally:
                io.RawIOBase.close(self)


class Lock:
    def __init__(self, release: Callable[..., None]) -> None:
        self._release = release

    def release(self, forget: bool = False) -> None:
        """`forget`: also remove the lock and what was created for it (its holder wrote nothing)."""
        if self._release is not None:
            self._release(forget)
            self._release = None

    def __enter__(self) -> "Lock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class Storage(ABC):
    """The bytes of one dataset root."""

    url: str

    @abstractmethod
    def create(self, key: str, stage: str, checksum: str = "xxh3_128") -> Upload:
        """A sink for `key`; its bytes go aside under `stage` (a prefix this run owns) until published."""

    @abstractmethod
    def publish(self, staged: Staged) -> None:
        """Make a staged object visible under its key, atomically, replacing any object there."""

    @abstractmethod
    def discard(self, staged: Staged) -> None:
        ...

    @abstractmethod
    def staged_exists(self, staged: Staged) -> bool:
        ...

    @abstractmethod
    def put(self, key: str, data: bytes) -> None:
        """A small object, written whole and atomically (manifest, journal records)."""

    @abstractmethod
    def append(self, key: str, data: bytes) -> None:
        """Add bytes at the end of a small object (created if absent): the journal."""

    @abstractmethod
    def read(self, key: str) -> bytes | None:
        """The object's bytes, or None if there is none."""

    @abstractmethod
    def open(self, key: str):
        """A binary file object for reading."""

    @abstractmethod
    def stat(self, key: str) -> Entry | None:
        ...

    @abstractmethod
    def list(self, prefix: str = "", recursive: bool = True) -> Iterator[Entry]:
        """Every object below `prefix` ('' for all; only those directly in it unless `recursive`), in key order."""

    @abstractmethod
    def remove(self, key: str) -> None:
        """Remove one object (missing is fine), then any folder it leaves empty."""

    @abstractmethod
    def remove_prefix(self, prefix: str) -> None:
        """Remove every object below a prefix that gengo owns entirely (its staging area)."""

    @abstractmethod
    def lock(self, key: str, holder: dict, timeout: float = 0.0, on_wait: Callable[[dict], None] | None = None) -> Lock:
        """An exclusive lock, released when the holder releases it or dies; raises LockHeld after `timeout`."""

    @abstractmethod
    def check_writable(self, create: bool = False) -> None:
        """Fail early, writing nothing (unless `create`), if the root cannot be written."""

    def local_path(self, key: str) -> Path | None:
        """A local file path for readers that need one; None when the object is not on this disk."""
        return None

    def reader_path(self, key: str) -> str:
        """Where DuckDB, pyarrow and polars read the object: its local path, or a URL that `attach` makes
        readable on a DuckDB connection."""
        return str(self.local_path(key))

    def attach(self, con) -> None:
        """Make `reader_path`s readable on a DuckDB connection (a local disk needs nothing)."""

    def exists(self) -> bool:
        return any(True for _ in self.list())

    def children(self, prefix: str) -> set[str]:
        """The names directly below `prefix` (its first key segments below it): those holding objects here;
        on a disk every entry, an empty folder too (what a run's staging area is once its files were published)."""
        n = len(prefix) + 1
        return {e.key[n:].split("/")[0] for e in self.list(prefix)}


class LocalStorage(Storage):
    """A folder on a local (POSIX) file system. Staged files are written under `<root>/<stage>/` and renamed
    into place; the lock is an flock on a file, which the kernel releases when its holder dies."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(os.path.abspath(root))
        self.url = str(self.root)
        self._inside: set[str] = set()  # folders proven to lie inside the root
        self._real_root: str | None = None

    # ---------------------------------------------------------------- paths

    def _path(self, key: str) -> Path:
        path = self.root / check_key(key)
        # symlinks must not lead out of the root either: check the deepest folder that exists (once per folder:
        # a new day folder under a table folder already checked costs no realpath, which lstats every component)
        existing = path.parent
        while str(existing) not in self._inside and not existing.exists() and existing != self.root and existing != existing.parent:
            existing = existing.parent
        if str(existing) in self._inside:
            return path
        if self._real_root is None:
            self._real_root = os.path.realpath(self.root)
        real = os.path.realpath(existing)
        if real != self._real_root and not real.startswith(self._real_root + os.sep):
            raise OutputError(f"refusing to write {key!r}: {existing} leads outside the dataset at {self.root}",
                              "remove the symbolic link, or write to another --out")
        self._inside.add(str(existing))
        return path

    def local_path(self, key: str) -> Path:
        return self._path(key)

    def _mkdir(self, folder: Path) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OutputError(f"cannot create {folder} ({e.strerror})", "choose a writable --out folder") from None

    # ---------------------------------------------------------------- two-phase writes

    def create(self, key: str, stage: str, checksum: str = "xxh3_128") -> Upload:
        final = self._path(key)
        tmp = self._path(f"{stage}/{key.replace('/', '+')}")  # flat: no folder to make per partition
        if not tmp.parent.is_dir():
            self._mkdir(tmp.parent)
        try:
            fh = open(tmp, "wb", buffering=1 << 20)
        except OSError as e:
            raise OutputError(f"cannot write in {final.parent} ({e.strerror})", "choose a writable --out folder") from None
        return Upload(key, fh, checksum, str(tmp.relative_to(self.root)), lambda: tmp.unlink(missing_ok=True))

    def publish(self, staged: Staged) -> None:
        final = self._path(staged.key)
        self._mkdir(final.parent)
        os.replace(self._path(staged.token), final)

    def discard(self, staged: Staged) -> None:
        self._path(staged.token).unlink(missing_ok=True)

    def staged_exists(self, staged: Staged) -> bool:
        return self._path(staged.token).is_file()

    # ---------------------------------------------------------------- small objects

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        self._mkdir(path.parent)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.inprogress")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise OutputError(f"cannot write {path} ({e.strerror})", "check free disk space and permissions") from None

    def append(self, key: str, data: bytes) -> None:
        path = self._path(key)
        self._mkdir(path.parent)
        with open(path, "ab") as fh:
            fh.write(data)

    def read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def open(self, key: str):
        return open(self._path(key), "rb")

    def stat(self, key: str) -> Entry | None:
        try:
            st = os.stat(self._path(key))
        except (FileNotFoundError, NotADirectoryError):
            return None
        return Entry(key, st.st_size) if not os.path.isdir(self._path(key)) else None

    def list(self, prefix: str = "", recursive: bool = True) -> Iterator[Entry]:
        base = self._path(prefix) if prefix else self.root
        if not base.is_dir():
            return
        out = []
        for folder, dirs, files in os.walk(base):
            if not recursive:
                dirs.clear()
            rel = os.path.relpath(folder, self.root)
            for name in files:
                key = name if rel == "." else f"{rel}/{name}".replace(os.sep, "/")
                try:
                    out.append(Entry(key, os.stat(os.path.join(folder, name)).st_size))
                except OSError:
                    continue
        yield from sorted(out, key=lambda e: e.key)

    def remove(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        folder = path.parent
        while folder != self.root:
            try:
                folder.rmdir()  # only if empty: a user's file keeps its folder
            except OSError:
                break
            folder = folder.parent

    def children(self, prefix: str) -> set[str]:
        try:
            return {e.name for e in os.scandir(self._path(prefix))}
        except (FileNotFoundError, NotADirectoryError):
            return set()

    def remove_prefix(self, prefix: str) -> None:
        path = self._path(prefix)
        shutil.rmtree(path, ignore_errors=True)
        folder = path.parent
        while folder != self.root:
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent

    # ---------------------------------------------------------------- lock

    def lock(self, key: str, holder: dict, timeout: float = 0.0, on_wait: Callable[[dict], None] | None = None) -> Lock:
        path = self._path(key)
        existed = path.parent
        while not existed.exists() and existed != existed.parent:
            existed = existed.parent
        self._mkdir(path.parent)
        deadline = time.monotonic() + max(0.0, timeout)
        waited = False
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                os.close(fd)
                if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise OutputError(f"cannot lock {path} ({e.strerror})", "check the permissions of the --out folder") from None
                current = _read_holder(path)
                if time.monotonic() >= deadline:
                    raise LockHeld(f"the dataset at {self.root}", current) from None
                if on_wait is not None and not waited:
                    on_wait(current)
                waited = True
                time.sleep(0.1)
                continue
            try:  # the file may have been removed (and another created) while we waited: lock that one instead
                same = os.fstat(fd).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)

        def release(forget: bool = False) -> None:
            try:
                os.ftruncate(fd, 0)
                if forget:  # nothing was written: remove the lock file and the folders made for it
                    path.unlink(missing_ok=True)
                    folder = path.parent
                    while folder != existed and folder != folder.parent:
                        try:
                            folder.rmdir()
                        except OSError:
                            break
                        folder = folder.parent
            finally:
                os.close(fd)

        return Lock(release)

    def check_writable(self, create: bool = False) -> None:
        existing = self.root
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            raise OutputError(f"--out {self.root}: {existing} is a file, not a folder", "choose a folder path for --out")
        if not os.access(existing, os.W_OK | os.X_OK):
            raise OutputError(f"cannot write to --out {self.root} (permission denied)", "choose a writable folder for --out")
        if create:
            self._mkdir(self.root)


def _read_holder(path: Path) -> dict:
    try:
        return json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return {}


def _s3(url: str) -> Storage:
    try:
        import boto3  # noqa: F401 - loaded only when an s3:// URL is used
    except ModuleNotFoundError:
        raise OutputError(f"{url}: writing to S3 needs boto3", "pip install 'gengo-pipeline[s3]'") from None
    from .s3 import S3Storage

    return S3Storage(url)


STORAGES: dict[str, Callable[[str], Storage]] = {"file": LocalStorage, "s3": _s3}


def open_storage(url: str | Path) -> Storage:
    """The storage for a dataset root given as a path or URL (`file://...`; other schemes as registered)."""
    text = str(url)
    scheme, sep, rest = text.partition("://")
    if not sep:
        return LocalStorage(text)
    factory = STORAGES.get(scheme.lower())
    if factory is None:
        raise OutputError(f"unknown storage scheme {scheme!r} in {text}", f"use a local path or one of {', '.join(s + '://' for s in STORAGES)}")
    return factory(rest if scheme.lower() == "file" else text)


def join(url: str | Path, *parts: str) -> str:
    """A child URL or path of a storage root."""
    text = str(url).rstrip("/")
    return "/".join([text, *parts]) if "://" in text else str(Path(text, *parts))
