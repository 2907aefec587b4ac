"""A real S3-compatible server on loopback for the tests: moto in server mode.

``moto_s3`` starts ``python -m moto.server`` once per session on a free port, with request
signing enforced (``INITIAL_NO_AUTH_ACTION_COUNT``): the first three requests create an IAM
user, its policy and its access key without a signature, and every request after that must be
signed with that key, so a wrong secret fails as it would against AWS. ``new_bucket()`` makes
a bucket of its own for each test. The ``moto_s3`` fixture (``tests/storage/conftest.py``)
runs one server per session.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.servers import HOST, unavailable, unique_name

REGION = "us-east-1"
#: create_user, put_user_policy, create_access_key: then signatures are checked.
UNSIGNED_SETUP_REQUESTS = 3
START_TIMEOUT = 30


@dataclass
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str
    log: Path

    def client(self, secret_key: str | None = None) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
        )

    def new_bucket(self) -> str:
        """A fresh, empty bucket (S3 names: lower case, digits and hyphens)."""
        name = unique_name("cfs").replace("_", "-")
        self.client().create_bucket(Bucket=name)
        return name

    def read(self, bucket: str, key: str) -> bytes:
        body: bytes = self.client().get_object(Bucket=bucket, Key=key)["Body"].read()
        return body

    def keys(self, bucket: str) -> list[str]:
        listing = self.client().list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def moto_server(directory: Path) -> Iterator[S3Server]:
    """Run moto until the block ends; its log is ``directory / "moto.log"``."""
    try:
        import boto3
        import moto.server  # noqa: F401 - the server module, run below as its own process
    except ImportError:
        unavailable("moto_server", 'not installed: pip install "moto[server]" boto3')
    log = directory / "moto.log"
    port = free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(UNSIGNED_SETUP_REQUESTS)}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                unavailable("moto_server", f"it did not start:\n{log.read_text()}")
            time.sleep(0.1)
        endpoint = f"http://{HOST}:{port}"
        iam = boto3.client(
            "iam",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="setup",
            aws_secret_access_key="setup",
        )
        iam.create_user(UserName="app")
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
        }
        iam.put_user_policy(UserName="app", PolicyName="s3", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="app")["AccessKey"]
        yield S3Server(endpoint, key["AccessKeyId"], key["SecretAccessKey"], log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _listening(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False
