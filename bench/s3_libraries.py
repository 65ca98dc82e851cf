"""Which S3 library: boto3 (through gengo's S3 storage), pyarrow's S3 filesystem, obstore and s3fs, writing and
reading the same object on a local SeaweedFS gateway (started here, as the tests start it), alternating.
Writes its section of bench/RESULTS.md.

    python bench/s3_libraries.py                  # a 64 MiB object, written in 1 MiB pieces, 4 rounds

A library that is not installed is reported as such. s3fs pins aiobotocore, which pins botocore to a narrow
range: install it with obstore in a separate venv with boto3 left free, and run this file with PYTHONPATH at
the repository (only gengo's storage modules and xxhash are needed from it):

    python3 -m venv /tmp/s3libs && /tmp/s3libs/bin/pip install obstore s3fs boto3 pyarrow xxhash
    PATH=.venv/bin:$PATH PYTHONPATH=. /tmp/s3libs/bin/python bench/s3_libraries.py

Besides speed, what gengo's storage seam needs (see README, "Why boto3"): a multipart upload completed by
another call (or another process) than the one that wrote it, and conditional puts for the lock.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata as md
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from sections import machine, write_section  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from gengo_pipeline_tests import seaweed  # noqa: E402

PIECE = 1 << 20


def version(dist: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


class Boto3:
    name, dist = "boto3 (gengo's S3Storage: 8 MiB parts, one in flight)", "boto3"

    def __init__(self, server, bucket):
        from gengo_pipeline.store.s3 import S3Storage

        self.storage = S3Storage(f"s3://{bucket}", endpoint=server.endpoint)
        self.client = self.storage.client

    def put(self, key, data):
        up = self.storage.create(key, "_stage")
        for i in range(0, len(data), PIECE):
            up.write(data[i:i + PIECE])
        self.storage.publish(up.finish())

    def get(self, key):
        return self.client.get_object(Bucket=self.storage.bucket, Key=key)["Body"].read()


class Arrow:
    name, dist = "pyarrow S3FileSystem (output stream)", "pyarrow"

    def __init__(self, server, bucket):
        from pyarrow import fs

        self.bucket = bucket
        self.fs = fs.S3FileSystem(access_key=seaweed.ACCESS_KEY, secret_key=seaweed.SECRET_KEY, region="us-east-1",
                                  endpoint_override=server.endpoint.split("://")[1], scheme="http")

    def put(self, key, data):
        with self.fs.open_output_stream(f"{self.bucket}/{key}") as out:
            for i in range(0, len(data), PIECE):
                out.write(data[i:i + PIECE])

    def get(self, key):
        with self.fs.open_input_stream(f"{self.bucket}/{key}") as f:
            return f.read()


class Obstore:
    name, dist = "obstore (open_writer)", "obstore"

    def __init__(self, server, bucket):
        import obstore
        from obstore.store import S3Store

        self.obstore = obstore
        self.store = S3Store(bucket, endpoint=server.endpoint, access_key_id=seaweed.ACCESS_KEY,
                             secret_access_key=seaweed.SECRET_KEY, region="us-east-1", client_options={"allow_http": True})

    def put(self, key, data):
        with self.obstore.open_writer(self.store, key) as w:
            for i in range(0, len(data), PIECE):
                w.write(data[i:i + PIECE])

    def get(self, key):
        return bytes(self.obstore.get(self.store, key).bytes())


class S3fs:
    name, dist = "s3fs (open 'wb')", "s3fs"

    def __init__(self, server, bucket):
        import s3fs

        self.bucket = bucket
        self.fs = s3fs.S3FileSystem(key=seaweed.ACCESS_KEY, secret=seaweed.SECRET_KEY,
                                    client_kwargs={"endpoint_url": server.endpoint, "region_name": "us-east-1"})

    def put(self, key, data):
        with self.fs.open(f"{self.bucket}/{key}", "wb") as f:
            for i in range(0, len(data), PIECE):
                f.write(data[i:i + PIECE])

    def get(self, key):
        return self.fs.cat_file(f"{self.bucket}/{key}")


LIBRARIES = [Boto3, Arrow, Obstore, S3fs]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mib", type=int, default=64)
    p.add_argument("--rounds", type=int, default=4)
    args = p.parse_args(argv)
    for k, v in {"AWS_ACCESS_KEY_ID": seaweed.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": seaweed.SECRET_KEY,
                 "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}.items():
        os.environ.setdefault(k, v)
    started = dt.datetime.now(dt.timezone.utc)
    load0 = os.getloadavg()[0]
    data = os.urandom(args.mib << 20)
    present = [lib for lib in LIBRARIES if version(lib.dist)]
    put: dict[str, list[float]] = {lib.name: [] for lib in present}
    get: dict[str, list[float]] = {lib.name: [] for lib in present}
    with tempfile.TemporaryDirectory() as tmp:
        server = seaweed.start(Path(tmp) / "seaweed")
        try:
            bucket = server.bucket("libs")
            clients = [lib(server, bucket) for lib in present]
            for r in range(args.rounds):
                order = clients[r % len(clients):] + clients[:r % len(clients)]  # each library first once
                for c in order:
                    key = f"r{r}/{type(c).__name__}.bin"
                    t0 = time.perf_counter()
                    c.put(key, data)
                    t1 = time.perf_counter()
                    back = c.get(key)
                    t2 = time.perf_counter()
                    assert back == data, f"{c.name}: the object read back differs"
                    put[c.name].append(args.mib * 1.048576 / (t1 - t0))
                    get[c.name].append(args.mib * 1.048576 / (t2 - t1))
        finally:
            server.stop()
    rows = ["| library | version | write MB/s (median) | read MB/s (median) | write, all rounds | read, all rounds |",
            "|---|---|---|---|---|---|"]
    for lib in LIBRARIES:
        if lib not in present:
            rows.append(f"| {lib.name} | not installed | | | | |")
            continue
        w, g = put[lib.name], get[lib.name]
        rows.append(f"| {lib.name} | {version(lib.dist)} | {statistics.median(w):.0f} | {statistics.median(g):.0f} | "
                    f"{', '.join(f'{x:.0f}' for x in w)} | {', '.join(f'{x:.0f}' for x in g)} |")
    body = (f"`python bench/s3_libraries.py --mib {args.mib} --rounds {args.rounds}` ({started:%Y-%m-%d %H:%M} UTC): one "
            f"{args.mib} MiB object written in 1 MiB pieces and read back whole, per library, {args.rounds} rounds "
            f"(the order rotated each round), against a SeaweedFS gateway on the same machine (it shares the cores: "
            f"the server is much of what is measured). {machine(load0)}.\n\n" + "\n".join(rows))
    write_section("S3 libraries: boto3, pyarrow, obstore, s3fs", body)
    print(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
