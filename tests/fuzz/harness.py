"""Runs fuzz requests against a live server, signed as the account's root, and judges each answer.

Findings:

- an answer of 500 or more (a 501 `NotImplemented` for an operation Strongroom does not serve is the
  designed answer, counted apart);
- a traceback or ERROR line in the server's log (read once the run is over);
- a state change without an audit record. A request that changes state commits its change together
  with its audit record, in one transaction; so after every request the store is read: if its audit
  record count did not grow, a digest of every state table (all rows, not just counts) must be what it
  was before the request. Tables of the server's own bookkeeping, which its background work may touch
  between requests, are left out (`BOOKKEEPING`);
- a successful (2xx) answer whose request ID is not in the audit trail.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.model import ServiceModel
from sqlalchemy import Connection, create_engine, inspect, text

from strongroom.services.registry import load_services
from strongroom.wire.specs import load_service, protocol_of
from tests.fuzz import wire
from tests.fuzz.inputs import mutants
from tests.live.conftest import Server

# Written by the server's own background work (delivery, indexing, key usage, caches), not by calls.
BOOKKEEPING = frozenset({
    "audit_events", "cloudtrail_event_resources", "cloudtrail_deliveries", "cloudtrail_log_files",
    "cloudtrail_watermarks", "cloudtrail_digest_chains", "cloudtrail_signing_keys", "events_deliveries",
    "events_dead_letters", "ssm_event_outbox", "kms_key_last_usage", "barrier_keyring", "server_state",
    "cache_revisions", "alembic_version",
})
LOG_FINDINGS = re.compile(r"\bERROR\b|\bCRITICAL\b")
REGION = "us-east-1"


@dataclass(frozen=True)
class Case:
    service: str
    operation: str
    request: wire.RawRequest


@dataclass
class Report:
    """What a run sent and found."""

    sent: Counter[str] = field(default_factory=Counter)  # by "<protocol> <service>"
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)  # error codes answered
    not_served: int = 0
    findings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"{key}: {count}" for key, count in sorted(self.sent.items())]
        lines.append(f"statuses: {dict(sorted(self.statuses.items()))}; NotImplemented answers: {self.not_served}")
        lines.append(f"most answered errors: {dict(self.codes.most_common(12))}")
        return "\n".join(lines)


def served() -> dict[str, frozenset[str]]:
    """Every served service's name, with the operations Strongroom implements."""
    return {name: frozenset(plugin.operations) for name, plugin in load_services().items()}


# Resources `seed_resources` makes before a run, by the member names that name them in each service.
KNOWN: dict[str, dict[str, str]] = {
    "kms": {name: "alias/fuzz-known" for name in ("KeyId", "TargetKeyId", "DestinationKeyId", "AliasName")},
    "secretsmanager": {"SecretId": "fuzz-known"},
    "ssm": {"Name": "/fuzz/known"},
    "events": {"Rule": "fuzz-known", "Name": "fuzz-known", "EventBusName": "default"},
    "iam": {"UserName": "fuzz-user", "RoleName": "fuzz-role", "GroupName": "fuzz-group"},
    "cloudtrail": {"Name": "fuzz-trail", "TrailName": "fuzz-trail"},
}
TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}'


def seed_resources(server: Server) -> None:
    """The resources `KNOWN` names, so that fuzzed calls get past their handlers' lookups."""
    kms = server.client("kms")
    kms.create_alias(AliasName="alias/fuzz-known", TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    server.client("secretsmanager").create_secret(Name="fuzz-known", SecretString="fuzz")
    server.client("ssm").put_parameter(Name="/fuzz/known", Value="fuzz", Type="String")
    server.client("events").put_rule(Name="fuzz-known", ScheduleExpression="rate(1 day)")
    iam = server.client("iam")
    iam.create_user(UserName="fuzz-user")
    iam.create_role(RoleName="fuzz-role", AssumeRolePolicyDocument=TRUST)
    iam.create_group(GroupName="fuzz-group")
    server.client("cloudtrail").create_trail(Name="fuzz-trail", S3BucketName="fuzz-bucket")


def cases(seed: int, size: int) -> Iterator[Case]:
    """Every operation of every served service's model, `size` mutants each (fewer for the operations
    answered NotImplemented, which reach only the parser), then each protocol's broken framing."""
    rng = random.Random(seed)
    for service_name, implemented in sorted(served().items()):
        model = load_service(service_name)
        protocol = protocol_of(model)
        for operation_name in model.operation_names:
            operation = model.operation_model(operation_name)
            budget = size if operation_name in implemented else max(size // 8, 1)
            for mutant in mutants(operation.input_shape, rng, budget, KNOWN.get(service_name)):
                if protocol == "json":
                    request = wire.json_request(model, operation, mutant, rng)
                else:
                    request = wire.query_request(model, operation, mutant)
                yield Case(service_name, operation_name, request)
            if operation_name in implemented:
                framing = wire.json_framing if protocol == "json" else wire.query_framing
                # A few framings per operation, all of them over the service's operations.
                for request in rng.sample(list(framing(model, operation)), 3):
                    yield Case(service_name, operation_name, request)


class StoreWatch:
    """Reads the server's store behind its back: audit record count and a digest of the state tables."""

    def __init__(self, store_url: str) -> None:
        self._engine = create_engine(store_url, isolation_level="AUTOCOMMIT")
        self._postgres = self._engine.dialect.name == "postgresql"
        self._connection: Connection = self._engine.connect()
        names = inspect(self._engine).get_table_names()
        self._tables = sorted(name for name in names if name not in BOOKKEEPING)
        if self._postgres:
            digests = " UNION ALL ".join(
                f"SELECT '{name}', (SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) "
                f'FROM "{name}" r)' for name in self._tables
            )
            self._digest_sql = text(digests)

    def audit_count(self) -> int:
        return int(self._connection.execute(text("SELECT count(*) FROM audit_events")).scalar_one())

    def state(self) -> str:
        if self._postgres:
            rows = self._connection.execute(self._digest_sql).all()
            return hashlib.sha256(repr(sorted(rows)).encode()).hexdigest()
        digest = hashlib.sha256()
        for name in self._tables:
            rows = self._connection.execute(text(f'SELECT * FROM "{name}"')).all()
            digest.update(name.encode() + repr(sorted(map(repr, rows))).encode())
        return digest.hexdigest()

    def audited_request_ids(self) -> set[str]:
        records = self._connection.execute(text("SELECT record FROM audit_events")).scalars()
        return {json.loads(record).get("requestID") for record in records}

    def close(self) -> None:
        self._connection.close()
        self._engine.dispose()


class Sender:
    """Signs requests as the server's root and sends them over one kept-alive connection."""

    def __init__(self, server: Server) -> None:
        self._server = server
        self._credentials = Credentials(server.access_key_id, server.secret_access_key)
        self._connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)

    def send(self, model: ServiceModel, request: wire.RawRequest) -> tuple[int, dict[str, str], bytes]:
        url = f"{self._server.endpoint}{request.path}" + (f"?{request.query}" if request.query else "")
        signed = AWSRequest(method=request.method, url=url, data=request.body, headers=dict(request.headers))
        SigV4Auth(self._credentials, model.signing_name, REGION).add_auth(signed)
        headers = {name: value for name, value in signed.headers.items() if value != ""}
        target = request.path + (f"?{request.query}" if request.query else "")
        for attempt in range(2):
            try:
                self._connection.request(request.method, target, body=request.body or None, headers=headers)
                reply = self._connection.getresponse()
                body = reply.read()
                answer = {name.lower(): value for name, value in reply.getheaders()}
                if answer.get("connection", "").lower() == "close":
                    self._connection.close()
                return reply.status, answer, body
            except (http.client.HTTPException, ConnectionError):
                self._connection.close()  # the server closed it (e.g. after a 413): reconnect once
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._connection.close()


def _error_code(headers: dict[str, str], body: bytes) -> str:
    code = headers.get("x-amzn-errortype", "").split(":", 1)[0]
    if code:
        return code
    found = re.search(rb"<Code>([^<]*)</Code>", body) or re.search(rb'"__type"\s*:\s*"(?:[^"#]*#)?([^"]*)"', body)
    return found.group(1).decode(errors="replace") if found else ""


def _request_id(headers: dict[str, str], body: bytes) -> str:
    found = headers.get("x-amzn-requestid") or headers.get("x-amz-request-id")
    if found:
        return found
    match = re.search(rb"<RequestId>([^<]*)</RequestId>", body)
    return match.group(1).decode() if match else ""


def run(server: Server, seed: int, size: int) -> Report:
    """Send every case of (`seed`, `size`) to `server`; the report lists what went wrong."""
    report = Report()
    watch = StoreWatch(server.store_url)
    sender = Sender(server)
    models = {name: load_service(name) for name in served()}
    successes: list[tuple[str, str]] = []
    try:
        seed_resources(server)
        audited, state = watch.audit_count(), watch.state()
        for case in cases(seed, size):
            model = models[case.service]
            what = f"{case.service} {case.operation} [{case.request.label}]"
            status, headers, body = sender.send(model, case.request)
            report.sent[f"{protocol_of(model)} {case.service}"] += 1
            report.statuses[status] += 1
            code = _error_code(headers, body)
            if code:
                report.codes[code] += 1
            if status == 501 and code == "NotImplemented":
                report.not_served += 1
            elif status >= 500:
                report.findings.append(f"{what}: HTTP {status} {code} {body[:200]!r}")
            if 200 <= status < 300:
                successes.append((what, _request_id(headers, body)))
            now_audited, now_state = watch.audit_count(), watch.state()
            if now_audited == audited and now_state != state:
                report.findings.append(f"{what}: the store changed with no audit record (HTTP {status} {code})")
            audited, state = now_audited, now_state
        trail = watch.audited_request_ids()
        report.findings += [f"{what}: answered 2xx but not audited" for what, request_id in successes
                            if request_id not in trail]
    finally:
        sender.close()
        watch.close()
    report.findings += log_findings(server.output())
    return report


def log_findings(log: str) -> list[str]:
    """Each ERROR line of the server's log, and each traceback as its last line (the exception) with
    the line logged before it (which names the request)."""
    found: list[str] = []
    lines = log.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("Traceback"):
            exception = next((later for later in lines[index + 1:] if later and not later[0].isspace()), "?")
            found.append(f"server log: {lines[index - 1] if index else ''} -> {exception}")
        elif LOG_FINDINGS.search(line):
            found.append(f"server log: {line}")
    return found
