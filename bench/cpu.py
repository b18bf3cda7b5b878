"""CPU per request with the HTTP server taken out: signed requests handed to the ASGI app in-process.

`make bench MODE=cpu` (or `python -m bench.cpu --operations kms-encrypt`). The app is the one
`strongroom serve` runs (default settings, SQLite, the audit writer thread running, every answer
waiting for its durable record); the requests are signed by botocore just before they are sent, 32 in
flight at a time. What is measured is the process's CPU time (all threads) per request, which is far
steadier than req/s on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.operations import OPERATIONS, REGION, Operation
from bench.signed_requests import SignedRequest, sign_all

ENDPOINT = "http://127.0.0.1:4566"
_SETUP = {
    "KMS Encrypt": [("CreateKey", {"Description": "bench"})],
    "KMS GenerateDataKey": [("CreateKey", {"Description": "bench"})],
    "KMS Sign": [("CreateKey", {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"})],
}


class InProcess:
    """The app with its lifespan started, and a way to send it a signed request."""

    def __init__(self, data_dir: Path) -> None:
        from strongroom.app import StrongroomApp
        from strongroom.runtime import Runtime
        from strongroom.server import prepare
        from strongroom.settings import Settings

        self.key = "AKIA" + secrets.token_hex(8).upper()
        self.secret = secrets.token_urlsafe(30)
        environ = {"STRONGROOM_ACCESS_KEY_ID": self.key, "STRONGROOM_SECRET_ACCESS_KEY": self.secret}
        settings = Settings.create(data_dir=data_dir)
        prepare(settings, environ)
        self.app = StrongroomApp(Runtime.open(settings))

    def start(self) -> None:
        """What the server's lifespan does at startup: the audit writer, and the startup heap frozen
        out of the garbage collector's full collections."""
        from strongroom.app import freeze_startup_heap

        self.app.runtime.audit.start()
        freeze_startup_heap()

    async def stop(self) -> None:
        await self.app.runtime.audit.aclose()
        self.app.runtime.database.dispose()

    async def send(self, request: SignedRequest) -> tuple[int, bytes]:
        headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in request.headers]
        headers.append((b"content-length", str(len(request.body)).encode()))
        scope = {"type": "http", "method": request.method, "path": request.path.split("?")[0],
                 "raw_path": request.path.encode(), "query_string": b"", "headers": headers,
                 "client": ("127.0.0.1", 50000)}
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": request.body, "more_body": False}

        async def send(message: Any) -> None:
            sent.append(message)

        await self.app(scope, receive, send)
        return sent[0]["status"], sent[1]["body"]

    def sign(self, service: str, operation: str, params: list[dict[str, Any]]) -> list[SignedRequest]:
        return sign_all(ENDPOINT, service, operation, params, self.key, self.secret, REGION)

    async def call(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        import json
        status, body = await self.send(self.sign(service, operation, [params])[0])
        if status != 200:
            raise SystemExit(f"bench: {operation} failed in setup: {status} {body[:300]!r}")
        answer: dict[str, Any] = json.loads(body)
        return answer


async def _fixture(server: InProcess, operation: Operation, count: int) -> dict[str, Any]:
    import base64
    if operation.name == "KMS Decrypt":
        key_id = (await server.call("kms", "CreateKey", {}))["KeyMetadata"]["KeyId"]
        blobs = []
        for i in range(count):
            reply = await server.call("kms", "Encrypt", {
                "KeyId": key_id, "Plaintext": os.urandom(64),
                "EncryptionContext": {"bench": "decrypt", "request": str(i)}})
            blobs.append(base64.b64decode(reply["CiphertextBlob"]))
        return {"blobs": blobs}
    if operation.name == "SSM GetParameter":
        names = [f"/bench/parameter-{i}" for i in range(count)]
        for name in names:
            await server.call("ssm", "PutParameter", {"Name": name, "Value": os.urandom(24).hex(),
                                                      "Type": "SecureString"})
        return {"names": names}
    if operation.name == "SecretsManager GetSecretValue":
        names = [f"bench/secret-{i}" for i in range(count)]
        for name in names:
            await server.call("secretsmanager", "CreateSecret", {"Name": name, "SecretString": os.urandom(24).hex()})
        return {"names": names}
    if operation.name in _SETUP:
        (name, params), = _SETUP[operation.name]
        return {"key_id": (await server.call("kms", name, params))["KeyMetadata"]["KeyId"]}
    raise SystemExit(f"bench: {operation.name} has no in-process setup")


async def _round(server: InProcess, requests: list[SignedRequest], concurrency: int) -> tuple[float, float]:
    queue = list(reversed(requests))
    failures: list[str] = []

    async def worker() -> None:
        while queue:
            status, body = await server.send(queue.pop())
            if status != 200:
                failures.append(f"{status} {body[:200]!r}")

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if failures:
        raise SystemExit(f"bench: {len(failures)} failed, first: {failures[0]}")
    return cpu, wall


async def measure(operation: Operation, count: int, rounds: int, concurrency: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="strongroom-cpu-") as directory:
        server = InProcess(Path(directory))
        server.start()
        try:
            fixture = await _fixture(server, operation, count)
            cpu_us: list[float] = []
            for _ in range(rounds):
                params = [operation.params(fixture, i) for i in range(count)]
                requests = server.sign(operation.service, operation.operation, params)
                cpu, _wall = await _round(server, requests, concurrency)
                cpu_us.append(cpu / count * 1e6)
            return {"operation": operation.name, "cpu_us": cpu_us, "median_us": statistics.median(cpu_us)}
        finally:
            await server.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.cpu", description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--operations", default="KMS Encrypt,KMS Decrypt,KMS GenerateDataKey,KMS Sign,"
                        "SSM GetParameter,SecretsManager GetSecretValue")
    args = parser.parse_args(argv)
    from bench.run import select_operations  # here: bench.run imports this module

    wanted = {operation.name for operation in select_operations(args.operations)}
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    for operation in OPERATIONS:
        if operation.name not in wanted:
            continue
        result = asyncio.run(measure(operation, args.requests, args.rounds, args.concurrency))
        rounds = ", ".join(f"{value:.1f}" for value in result["cpu_us"])
        print(f"{operation.name:<22} {result['median_us']:7.1f} µs CPU per request (rounds: {rounds})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
