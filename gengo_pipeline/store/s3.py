"""S3 and S3-compatible object stores (AWS, SeaweedFS, MinIO, ...) behind the storage seam: `s3://bucket/prefix`.

Writes go through boto3, because the seam needs what only the low-level API gives: a multipart upload whose
id outlives the process. `create` leaves a marker object under the run's staging prefix naming the key, starts
a multipart upload on the final key and rewrites the marker to name the upload too; parts of PART_BYTES (GENGO_S3_PART_MB) are uploaded from a
background thread while the next part fills (so an upload holds at most two parts in memory, whatever the
file's size); `finish` uploads the last part and returns the part list as the staged token; `publish`
completes the upload, the one atomic step that makes the object visible under its key. An upload never
completed is never visible: a killed run leaves only invisible parts and its markers, and recovery aborts
the uploads the markers name (`remove_prefix`, under the lock, after the journal's replay).

Credentials come from the standard AWS chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE and
~/.aws, instance roles); the endpoint from the `s3_endpoint` setting (GENGO_S3_ENDPOINT), else
AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, else AWS. Readers (DuckDB, pyarrow, polars) read through
pyarrow's S3 filesystem with the same endpoint and credentials (`arrow_filesystem`).

The lock is a lease object taken with a conditional put (If-None-Match: *): only one writer can create it.
The holder renews it (If-Match: its ETag) every LEASE_S / 3; an object store cannot tell that its holder
died, so a lease not renewed for LEASE_S expires and the next writer takes it over (If-Match on the
expired ETag, so two waiters cannot both win). A holder on this host whose pid is gone is taken over at once.
A server that ignores conditional puts (or answers 501) is found by a probe; there the lease is written when
free or expired and read back after SETTLE_S: the token found there holds it (`_settled_lock`).
"""
from __future__ import annotations

import io
import json
import os
import socket
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Callable, Iterator

from ..errors import ConfigError, OutputError
from .storage import Entry, Lock, LockHeld, Staged, Storage, Upload, check_key

PART_BYTES = 8 << 20  # S3's minimum part is 5 MiB; parts double every 1,000 (10,000 parts at most)
PART_ENV = "GENGO_S3_PART_MB"  # another first part size, in MiB (5 or more)
LEASE_S = float(os.environ.get("GENGO_S3_LEASE_S", "30"))
ORPHAN_S = 10.0  # an upload is created right after its marker: see remove_prefix
SETTLE_S = float(os.environ.get("GENGO_S3_LOCK_SETTLE_S", "2"))  # the lease without conditional puts: see _settled_lock
ENDPOINT_ENV = "GENGO_S3_ENDPOINT"
_INIT = threading.RLock()  # the connection and the upload threads, made once per process


def _after_fork() -> None:  # a child must not inherit the lock held by one of its parent's threads
    global _INIT
    _INIT = threading.RLock()


os.register_at_fork(after_in_child=_after_fork)
CREDENTIALS_FIX = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) to credentials of this server"


def parse_url(url: str) -> tuple[str, str]:
    """'s3://bucket/a/b' -> ('bucket', 'a/b')."""
    rest = url.split("://", 1)[1]
    bucket, _, prefix = rest.partition("/")
    prefix = prefix.strip("/")
    if not bucket:
        raise OutputError(f"{url} names no bucket", "write it as s3://BUCKET/PREFIX")
    if prefix:
        check_key(prefix)
    return bucket, prefix


def _code(e: Exception) -> str:
    return str(getattr(e, "response", {}).get("Error", {}).get("Code", ""))


def _status(e: Exception) -> int:
    return int(getattr(e, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


class S3Storage(Storage):
    def __init__(self, url: str, endpoint: str | None = None) -> None:
        self.bucket, self.prefix = parse_url(url)
        self.url = f"s3://{self.bucket}" + (f"/{self.prefix}" if self.prefix else "")
        self.endpoint = endpoint or os.environ.get(ENDPOINT_ENV) or None
        part_bytes()  # a bad GENGO_S3_PART_MB fails here, before anything is written
        self._client = None
        self._pid = 0
        self._uploader: ThreadPoolExecutor | None = None
        self._conditional: bool | None = None  # whether the server honours If-None-Match (probed once)
        self._appended: dict[str, bytes] = {}  # what this writer appended: no read-back per journal record

    # ---------------------------------------------------------------- connection

    @property
    def client(self):
        if self._pid != os.getpid():
            with _INIT:
                return self._connect()
        return self._client

    def _connect(self):
        if self._pid != os.getpid():  # a forked worker must not share its parent's connections
            import boto3
            from botocore.config import Config

            config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=60,
                            max_pool_connections=16)
            with self._errors("connect to"):
                self._client = boto3.session.Session().client("s3", endpoint_url=self.endpoint, config=config)
            self._pid = os.getpid()
            self._uploader = None
        return self._client

    @property
    def where(self) -> str:
        endpoint = self.endpoint or (self._client.meta.endpoint_url if self._client else None)
        return f"{self.url} (endpoint {endpoint})" if endpoint else self.url

    @contextmanager
    def _errors(self, doing: str, key: str = ""):
        """Every failure of the object store as one line naming the problem and the fix."""
        from botocore import exceptions as bx

        what = f"{self.url}/{key}" if key else self.url
        try:
            yield
        except OutputError:
            raise
        except (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ConnectionClosedError) as e:
            endpoint = self._client.meta.endpoint_url if self._client is not None else self.endpoint
            raise OutputError(f"cannot reach the S3 endpoint {endpoint} ({type(e).__name__})",
                              f"start the server, or set {ENDPOINT_ENV} / AWS_ENDPOINT_URL to its address") from None
        except bx.NoCredentialsError:
            raise OutputError(f"no AWS credentials found to {doing} {what}", CREDENTIALS_FIX) from None
        except bx.ClientError as e:
            code = _code(e)
            if code in ("NoSuchBucket",) or (code in ("404", "NotFound") and not key):
                raise OutputError(f"the bucket {self.bucket!r} does not exist at {self.where}",
                                  f"create it (aws s3 mb s3://{self.bucket}) or name another bucket") from None
            if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "AuthorizationHeaderMalformed"):
                raise OutputError(f"S3 refused the credentials to {doing} {what} ({code})", CREDENTIALS_FIX) from None
            if code in ("AccessDenied", "403", "Forbidden"):
                raise OutputError(f"access denied to {doing} {what}", "use credentials allowed to read and write this bucket, or another --out") from None
            raise OutputError(f"cannot {doing} {what} ({code or _status(e)}: {e})", "check the S3 server and the --out URL") from None
        except bx.BotoCoreError as e:
            raise OutputError(f"cannot {doing} {what} ({e})", "check the S3 server and the --out URL") from None

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _rel(self, full: str) -> str:
        return full[len(self.prefix) + 1:] if self.prefix else full

    # ---------------------------------------------------------------- two-phase writes

    def create(self, key: str, stage: str, checksum: str = "xxh3_128") -> Upload:
        full = self._key(key)
        marker = f"{stage}/{key.replace('/', '+')}.upload"
        with self._errors("write", key):  # the marker first, naming the key: a process killed before the marker
            self.put(marker, json.dumps({"key": key}).encode())  # names its upload leaves it findable (remove_prefix)
            upload_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=full)["UploadId"]
            self.put(marker, json.dumps({"key": key, "upload": upload_id}).encode())
        with _INIT:  # uploads may be created from several threads (DuckDB's COPY)
            if self._uploader is None:
                self._uploader = ThreadPoolExecutor(4, thread_name_prefix="gengo-s3-upload")
        sink = _MultipartSink(self, full, upload_id)
        token = {"upload": upload_id, "marker": marker}

        def abort() -> None:
            self._abort(full, upload_id)
            self.remove(marker)

        return _S3Upload(key, sink, checksum, token, abort)

    def publish(self, staged: Staged) -> None:
        token = json.loads(staged.token)
        with self._errors("publish", staged.key):
            try:
                self.client.complete_multipart_upload(
                    Bucket=self.bucket, Key=self._key(staged.key), UploadId=token["upload"],
                    MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etag} for n, etag in token["parts"]]})
            except Exception as e:
                # completed before (a replayed journal): the object is there with the recorded size
                if _code(e) != "NoSuchUpload" or (self.stat(staged.key) or Entry("", -1)).size != staged.size:
                    raise
        self.remove(token["marker"])

    def discard(self, staged: Staged) -> None:
        token = json.loads(staged.token)
        self._abort(self._key(staged.key), token["upload"])
        self.remove(token["marker"])

    def staged_exists(self, staged: Staged) -> bool:
        token = json.loads(staged.token)
        try:
            self.client.list_parts(Bucket=self.bucket, Key=self._key(staged.key), UploadId=token["upload"], MaxParts=1)
            return True
        except Exception as e:  # noqa: BLE001 - NoSuchUpload: completed or aborted
            if _code(e) == "NoSuchUpload" or _status(e) == 404:
                return False
            with self._errors("read", staged.key):
                raise

    def _abort_orphans(self, full: str, since, stages: str) -> None:
        """Abort the open uploads on the key `full` begun within ORPHAN_S after `since` (server times) that no
        marker below `stages` names."""
        with self._errors("list uploads of", self._rel(full)):
            pages = self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket, Prefix=full)
            found = [u for page in pages for u in page.get("Uploads", []) if u["Key"] == full
                     and -1 <= (u["Initiated"] - since).total_seconds() <= ORPHAN_S]
        if not found:
            return
        named = set()
        for e in (self.list(stages) if stages else ()):
            if e.key.endswith(".upload"):
                named.add(json.loads(self.read(e.key) or b"{}").get("upload"))
        for u in found:
            if u["UploadId"] not in named:
                self._abort(full, u["UploadId"])

    def _abort(self, full: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=full, UploadId=upload_id)
        except Exception as e:  # noqa: BLE001
            if _code(e) != "NoSuchUpload" and _status(e) != 404:
                with self._errors("clean up", self._rel(full)):
                    raise

    # ---------------------------------------------------------------- small objects

    def put(self, key: str, data: bytes) -> None:
        with self._errors("write", key):
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)
        self._appended.pop(key, None)

    def append(self, key: str, data: bytes) -> None:
        """No append on S3: the object is rewritten whole (small: the journal of one run, which only this
        writer appends to, so its bytes are kept here rather than read back)."""
        old = self._appended.get(key)
        if old is None:
            old = self.read(key) or b""
        new = old + data
        self.put(key, new)
        self._appended[key] = new

    def read(self, key: str) -> bytes | None:
        with self._errors("read", key):
            try:
                return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
            except Exception as e:
                if _code(e) in ("NoSuchKey", "404", "NotFound"):
                    return None
                raise

    def open(self, key: str):
        with self._errors("read", key):
            return arrow_filesystem(self).open_input_file(f"{self.bucket}/{self._key(key)}")

    def stat(self, key: str) -> Entry | None:
        with self._errors("read", key):
            try:
                head = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            except Exception as e:
                if _code(e) in ("NoSuchKey", "404", "NotFound"):
                    return None
                raise
        return Entry(key, head["ContentLength"])

    def list_any(self, prefix: str) -> list[Entry]:
        """Objects whose key (from the bucket's root, not checked as gengo's own names) starts with `prefix`."""
        out = []
        with self._errors("list", prefix):
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                out.extend(Entry(o["Key"], o["Size"]) for o in page.get("Contents", []))
        return sorted(out, key=lambda e: e.key)

    def stat_any(self, key: str) -> Entry | None:
        """The object at `key` (from the bucket's root, any name), or None."""
        with self._errors("read", key):
            try:
                head = self.client.head_object(Bucket=self.bucket, Key=key)
            except Exception as e:
                if _code(e) in ("NoSuchKey", "404", "NotFound"):
                    return None
                raise
        return Entry(key, head["ContentLength"])

    def list(self, prefix: str = "", recursive: bool = True) -> Iterator[Entry]:
        base = (self._key(prefix) + "/") if prefix else (self.prefix + "/" if self.prefix else "")
        args = {"Bucket": self.bucket, "Prefix": base, **({} if recursive else {"Delimiter": "/"})}
        out = []
        with self._errors("list", prefix):
            for page in self.client.get_paginator("list_objects_v2").paginate(**args):
                out.extend(Entry(self._rel(o["Key"]), o["Size"]) for o in page.get("Contents", []))
        yield from sorted(out, key=lambda e: e.key)

    def remove(self, key: str) -> None:
        with self._errors("remove", key):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        self._appended.pop(key, None)

    def remove_prefix(self, prefix: str) -> None:
        """Abort the uploads the staging markers below `prefix` name, then remove every object there. A marker
        that names only its key (its writer died between creating the upload and naming it) aborts the uploads
        on that key begun within ORPHAN_S of the marker and named by no other marker beside `prefix` (a live
        rerun of the same unit names its own upload as soon as it has one)."""
        full_prefix = self._key(prefix)
        with self._errors("list", prefix):
            objects = [o for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=full_prefix + "/")
                       for o in page.get("Contents", [])]
        for o in objects:
            if o["Key"].endswith(".upload"):
                marker = json.loads(self.read(self._rel(o["Key"])) or b"{}")
                if "upload" in marker:
                    self._abort(self._key(marker["key"]), marker["upload"])
                elif "key" in marker:
                    self._abort_orphans(self._key(marker["key"]), o["LastModified"], prefix.rpartition("/")[0])
        with self._errors("remove", prefix):
            for i in range(0, len(objects), 1000):
                self.client.delete_objects(Bucket=self.bucket, Delete={
                    "Objects": [{"Key": o["Key"]} for o in objects[i:i + 1000]], "Quiet": True})

    # ---------------------------------------------------------------- lock

    def lock(self, key: str, holder: dict, timeout: float = 0.0, on_wait: Callable[[dict], None] | None = None) -> Lock:
        full = self._key(key)
        deadline = time.monotonic() + max(0.0, timeout)
        waited = False
        token = uuid.uuid4().hex

        def body() -> bytes:
            return json.dumps({**holder, "token": token, "lease_expires": time.time() + LEASE_S}).encode()

        if not self._conditional_writes(full):
            return self._settled_lock(full, body, token, deadline, on_wait)
        while True:
            etag = self._conditional_put(full, body(), IfNoneMatch="*")
            if etag is None:  # held: take it over if its lease expired or its holder is gone
                current, current_etag = self._read_lock(full)
                if current_etag is None:
                    continue  # released meanwhile: try again
                if _lease_over(current):
                    etag = self._conditional_put(full, body(), IfMatch=current_etag)
                if etag is None:
                    waited = self._wait_for_holder(current, deadline, on_wait, waited)
                    continue
            break
        lease = _Lease(self, full, etag, body)
        return Lock(lease.release)

    def _conditional_writes(self, full: str) -> bool:
        """Whether the server honours If-None-Match on a put (AWS since 2024, SeaweedFS, MinIO do; some
        S3-compatible servers ignore it or answer 501): a probe object next to the lock, put twice, removed."""
        if self._conditional is None:
            probe = f"{full}.probe-{uuid.uuid4().hex[:12]}"
            with self._errors("lock", self._rel(full)):
                self.client.put_object(Bucket=self.bucket, Key=probe, Body=b"")
                try:
                    self.client.put_object(Bucket=self.bucket, Key=probe, Body=b"", IfNoneMatch="*")
                    self._conditional = False  # the condition was ignored
                except Exception as e:
                    if _code(e) in ("PreconditionFailed", "ConditionalRequestConflict") or _status(e) in (409, 412):
                        self._conditional = True
                    elif _code(e) == "NotImplemented" or _status(e) == 501:
                        self._conditional = False
                    else:
                        raise
                finally:
                    self.client.delete_object(Bucket=self.bucket, Key=probe)
        return self._conditional

    def _settled_lock(self, full: str, body: Callable[[], bytes], token: str, deadline: float,
                      on_wait: Callable[[dict], None] | None) -> Lock:
        """The lease on a server without conditional puts: write the lock when it is free or expired, wait
        SETTLE_S for a racing writer's put to land, read it back: the token there wins (S3 reads after writes
        are consistent). Two writers lose this race only if one stalls longer than SETTLE_S between its read and
        its put."""
        waited = False
        while True:
            current, etag = self._read_lock(full)
            if etag is None or _lease_over(current):
                with self._errors("lock", self._rel(full)):
                    self.client.put_object(Bucket=self.bucket, Key=full, Body=body())
                time.sleep(SETTLE_S)
                current, etag = self._read_lock(full)
                if current.get("token") == token:
                    return Lock(_Lease(self, full, etag, body, token).release)
            waited = self._wait_for_holder(current, deadline, on_wait, waited)

    def _wait_for_holder(self, current: dict, deadline: float, on_wait: Callable[[dict], None] | None,
                         waited: bool) -> bool:
        """One wait of a writer the lock's `current` holder keeps out: LockHeld past the deadline, else tell
        `on_wait` the first time and sleep a poll interval. Returns True (the writer has waited)."""
        if time.monotonic() >= deadline:
            raise LockHeld(f"the dataset at {self.url}", current)
        if on_wait is not None and not waited:
            on_wait(current)
        time.sleep(0.5)
        return True

    def _conditional_put(self, full: str, data: bytes, **condition) -> str | None:
        """The new ETag, or None if the condition failed (another writer got there first)."""
        with self._errors("lock", self._rel(full)):
            try:
                return self.client.put_object(Bucket=self.bucket, Key=full, Body=data, **condition)["ETag"]
            except Exception as e:
                if _code(e) in ("PreconditionFailed", "ConditionalRequestConflict") or _status(e) in (409, 412):
                    return None
                raise

    def _read_lock(self, full: str) -> tuple[dict, str | None]:
        with self._errors("read", self._rel(full)):
            try:
                got = self.client.get_object(Bucket=self.bucket, Key=full)
            except Exception as e:
                if _code(e) in ("NoSuchKey", "404", "NotFound"):
                    return {}, None
                raise
        try:
            return json.loads(got["Body"].read() or b"{}"), got["ETag"]
        except ValueError:
            return {}, got["ETag"]

    def reader_path(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def attach(self, con) -> None:
        """DuckDB reads s3:// through pyarrow's filesystem (its httpfs extension is not needed)."""
        con.register_filesystem(fsspec_filesystem(self))

    def check_writable(self, create: bool = False) -> None:
        """The endpoint answers, the credentials are accepted and the bucket exists (nothing is written)."""
        with self._errors("open", ""):  # a listing, not a HEAD: its error has a body naming the cause
            self.client.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix, MaxKeys=1)


class _Lease:
    """A held lock: renewed in the background until released. With `token` (a server without conditional
    puts) the lock is read and checked to still be ours before each renewal and before its removal."""

    def __init__(self, storage: S3Storage, full: str, etag: str, body: Callable[[], bytes], token: str | None = None) -> None:
        self.storage, self.full, self.etag, self.body, self.token = storage, full, etag, body, token
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._renew, name="gengo-s3-lease", daemon=True)
        self.thread.start()

    def _ours(self) -> bool:
        current, etag = self.storage._read_lock(self.full)
        return current.get("token") == self.token if self.token else etag == self.etag

    def _renew(self) -> None:
        while not self.stop.wait(LEASE_S / 3):
            try:
                if self.token is None:
                    etag = self.storage._conditional_put(self.full, self.body(), IfMatch=self.etag)
                elif self._ours():
                    etag = self.storage._conditional_put(self.full, self.body())
                else:
                    etag = None
            except OutputError:
                continue  # the server is briefly away: try again before the lease runs out
            if etag is None:
                return  # taken over (this process was stalled past the lease): nothing more to renew
            self.etag = etag

    def release(self, forget: bool = False) -> None:
        self.stop.set()
        self.thread.join()
        if self._ours():
            self.storage.remove(self.storage._rel(self.full))


def _lease_over(holder: dict) -> bool:
    if holder.get("lease_expires", 0) < time.time():
        return True
    if holder.get("host") == socket.gethostname() and isinstance(holder.get("pid"), int):
        try:
            os.kill(holder["pid"], 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
    return False


def part_bytes() -> int:
    text = os.environ.get(PART_ENV)
    if not text:
        return PART_BYTES
    try:
        mib = int(text)
    except ValueError:
        mib = 0
    if mib < 5:
        raise ConfigError(f"{PART_ENV}={text!r} is not a part size S3 accepts", f"set {PART_ENV} to a whole number of MiB, 5 or more, or unset it")
    return mib << 20


class _MultipartSink:
    """Buffers writes into parts; each full part is uploaded in the background while the next one fills."""

    def __init__(self, storage: S3Storage, full: str, upload_id: str) -> None:
        self.storage, self.full, self.upload_id = storage, full, upload_id
        self.buffer = bytearray()
        self.parts: list[tuple[int, str]] = []
        self.pending: Future | None = None
        self.part_bytes = part_bytes()
        self.closed = False

    def write(self, data) -> int:
        self.buffer += data
        if len(self.buffer) >= self.part_bytes:
            self._flush()
        return len(data)

    def _flush(self) -> None:
        self._wait()
        number = len(self.parts) + 1
        if number % 1000 == 0:
            self.part_bytes *= 2
        data, self.buffer = bytes(self.buffer), bytearray()
        self.pending = self.storage._uploader.submit(self._upload, number, data)

    def _upload(self, number: int, data: bytes) -> tuple[int, str]:
        s = self.storage
        with s._errors("write", s._rel(self.full)):
            return number, s.client.upload_part(Bucket=s.bucket, Key=self.full, UploadId=self.upload_id,
                                                PartNumber=number, Body=data)["ETag"]

    def _wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            self.parts.append(pending.result())

    def close(self) -> None:
        """Upload what is left as the last part (an empty object has one empty part)."""
        if self.closed:
            return
        self.closed = True
        if self.buffer or not self.parts and self.pending is None:
            self._flush()
        self._wait()


class _S3Upload(Upload):
    def __init__(self, key: str, sink: _MultipartSink, checksum: str, token: dict, on_abort) -> None:
        super().__init__(key, sink, checksum, "", on_abort)
        self._token = token

    def finish(self) -> Staged:
        staged = super().finish()
        staged.token = json.dumps({**self._token, "parts": self._sink.parts})
        return staged

    def abort(self) -> None:
        self._sink.closed = True  # the rest of the buffer is not uploaded, and the part in flight is awaited
        try:
            self._sink._wait()
        except Exception:  # noqa: BLE001 - cleaning up after an earlier error
            pass
        super().abort()

    def close(self) -> None:
        if not self.closed:  # closed unfinished: the upload stays invisible until aborted with its stage
            self._sink.closed = True
            io.RawIOBase.close(self)


_ARROW: dict[tuple, object] = {}


def arrow_filesystem(storage: S3Storage):
    """pyarrow's S3 filesystem with the endpoint and the credentials boto3 resolved (one chain for both)."""
    from pyarrow import fs as pafs

    client = storage.client
    creds = client._request_signer._credentials
    frozen = creds.get_frozen_credentials() if creds is not None else None
    endpoint = client.meta.endpoint_url
    key = (endpoint, frozen and frozen.access_key, frozen and frozen.secret_key, frozen and frozen.token, os.getpid())
    if key not in _ARROW:
        scheme, _, host = endpoint.partition("://")
        options = {"endpoint_override": host, "scheme": scheme, "region": client.meta.region_name or "us-east-1",
                   "connect_timeout": 5, "request_timeout": 60}
        if frozen is None:
            options["anonymous"] = True
        else:
            options.update(access_key=frozen.access_key, secret_key=frozen.secret_key, session_token=frozen.token)
        _ARROW[key] = pafs.S3FileSystem(**options)
    return _ARROW[key]


def split_url(url: str) -> tuple[str, str]:
    """'s3://bucket/any/key' -> ('bucket', 'any/key'), for reading objects gengo did not name (convert's input)."""
    bucket, _, key = url.split("://", 1)[1].partition("/")
    if not bucket:
        raise OutputError(f"{url} names no bucket", "write it as s3://BUCKET/KEY")
    return bucket, key.strip("/")


class StagedWrites:
    """The files a library (DuckDB's COPY) writes below one S3 root, each a staged multipart upload (markers under
    `stage`), made visible together by `publish` once the whole write succeeded, or all aborted by `discard`."""

    def __init__(self, storage: S3Storage, stage: str) -> None:
        self.storage, self.stage = storage, stage
        self.uploads: list[Upload] = []
        self.staged: list[Staged] = []
        self.guard = threading.Lock()

    def open(self, key: str) -> "_StagedFile":
        upload = self.storage.create(key, self.stage, checksum="none")
        with self.guard:
            self.uploads.append(upload)
        return _StagedFile(self, upload)

    def publish(self) -> list[Staged]:
        for staged in self.staged:
            self.storage.publish(staged)
        self.storage.remove_prefix(self.stage)
        return self.staged

    def discard(self) -> None:
        for upload in self.uploads:
            if not upload.closed:
                upload.abort()
        for staged in self.staged:
            self.storage.discard(staged)
        self.storage.remove_prefix(self.stage)


class _StagedFile(io.RawIOBase):
    """A write handle for one staged upload: closing it finishes the upload (still invisible)."""

    def __init__(self, writes: StagedWrites, upload: Upload) -> None:
        super().__init__()
        self.writes, self.upload = writes, upload

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return self.upload.write(data)

    def close(self) -> None:
        if not self.closed and not self.upload.closed:  # (an upload aborted by discard stays aborted)
            staged = self.upload.finish()
            with self.writes.guard:
                self.writes.staged.append(staged)
            io.RawIOBase.close(self)


def fsspec_filesystem(storage: S3Storage, writes: StagedWrites | None = None):
    """The arrow filesystem as an fsspec one for the protocol s3 (what DuckDB's register_filesystem takes).
    Reads any object through pyarrow; writes only below `writes`' root, as staged uploads (S3 has no folders:
    making one is a no-op, listing a missing one is empty)."""
    from fsspec.implementations.arrow import ArrowFSWrapper

    class S3Files(ArrowFSWrapper):
        protocol = "s3"
        cachable = False

        @classmethod
        def _strip_protocol(cls, path):
            path = str(path)
            return path.split("://", 1)[1] if "://" in path else path

        def _open(self, path, mode="rb", **kwargs):
            if "r" in mode:
                return super()._open(path, mode, **kwargs)
            bucket, _, key = self._strip_protocol(path).partition("/")
            root = writes.storage.prefix if writes is not None else ""
            if writes is None or bucket != writes.storage.bucket or (root and not key.startswith(root + "/")):
                raise PermissionError(f"s3://{bucket}/{key} is outside the output")
            return writes.open(key[len(root) + 1:] if root else key)

        def mkdir(self, path, create_parents=True, **kwargs):
            pass

        def makedirs(self, path, exist_ok=False):
            pass

        def ls(self, path, detail=False, **kwargs):
            try:
                return super().ls(path, detail=detail, **kwargs)
            except FileNotFoundError:
                return []

    return S3Files(arrow_filesystem(storage))
