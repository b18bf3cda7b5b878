"""A test pipeline's view of developer mode: `serve --dev --enable-reset --seed seed.yaml`, test/test,
work done by the tests, then a reset that leaves exactly the seeded state."""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Server, free_port

SECOND_ACCOUNT = "111122223333"
SECOND_KEY = "AKIASECONDACCOUNT001"
SECOND_SECRET = "second-account-secret-0123456789"
DEPLOYER_KEY = "AKIADEPLOYER00000001"
DEPLOYER_SECRET = "deployer-secret-0123456789"

SEED = f"""
users:
  - name: deployer
    path: /ci/
    access_keys:
      - access_key_id: {DEPLOYER_KEY}
        secret_access_key: {DEPLOYER_SECRET}
    policies:
      use-keys:
        Version: "2012-10-17"
        Statement:
          - {{Effect: Allow, Action: ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], Resource: "*"}}
kms_keys:
  - alias: alias/app
    description: the application key
    tags: {{team: payments}}
    policy:
      Version: "2012-10-17"
      Statement:
        - {{Sid: Owner, Effect: Allow, Principal: {{AWS: "arn:aws:iam::000000000000:root"}}, Action: "kms:*",
           Resource: "*"}}
        - {{Sid: Partner, Effect: Allow, Principal: {{AWS: "arn:aws:iam::{SECOND_ACCOUNT}:root"}},
           Action: ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], Resource: "*"}}
accounts:
  - account_id: "{SECOND_ACCOUNT}"
    access_key_id: {SECOND_KEY}
    secret_access_key: {SECOND_SECRET}
"""


class DevServer(Server):
    """`strongroom serve --dev ...` as a pipeline starts it (no --data-dir unless given), waited on /ready."""

    ready_route = "ready"

    def __init__(self, workdir: Path, *options: str, workers: int = 1) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.data_dir = workdir
        self.database_url = None
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.access_key_id, self.secret_access_key = "test", "test"
        self.log_path = workdir / f"serve-{self.port}.log"
        command = [sys.executable, "-m", "strongroom", "serve", "--dev", "--port", str(self.port),
                   "--workers", str(workers), "--log-level", "warning", *options]
        env = {k: v for k, v in os.environ.items() if not k.startswith("STRONGROOM_")}
        self._launch(command, env, cwd=workdir)

    def post(self, path: str) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(f"{self.endpoint}{path}", data=b"", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return reply.status, json.loads(reply.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())


def write_seed(directory: Path, text: str = SEED) -> Path:
    path = directory / "seed.yaml"
    path.write_text(text)
    return path


def seeded_key_arn(server: Server) -> str:
    arn: str = server.client("kms").describe_key(KeyId="alias/app")["KeyMetadata"]["Arn"]
    return arn


def refused(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    code: str = caught.value.response["Error"]["Code"]
    return code


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Any:
    workdir = tmp_path_factory.mktemp("pipeline")
    server = DevServer(workdir, "--enable-reset", "--seed", str(write_seed(workdir)))
    yield server
    server.stop()


def test_announces_developer_mode_and_uses_a_throwaway_dir(pipeline: DevServer) -> None:
    output = pipeline.output()
    assert "DEVELOPER MODE" in output
    assert "throwaway directory" in output
    assert not (pipeline.data_dir / ".strongroom").exists()


def test_test_credentials_are_the_default_account_root_and_still_verified(pipeline: DevServer) -> None:
    identity = pipeline.client("sts").get_caller_identity()
    assert identity["Account"] == "000000000000"
    assert identity["Arn"] == "arn:aws:iam::000000000000:root"
    assert refused(pipeline.client("sts", secret="wrong").get_caller_identity) == "SignatureDoesNotMatch"
    assert refused(pipeline.client("kms", secret="tesT").list_keys) in ("SignatureDoesNotMatch",
                                                                       "InvalidSignatureException")


def test_seeded_state(pipeline: DevServer) -> None:
    iam = pipeline.client("iam")
    user = iam.get_user(UserName="deployer")["User"]
    assert user["Path"] == "/ci/"
    assert iam.list_user_policies(UserName="deployer")["PolicyNames"] == ["use-keys"]
    deployer = pipeline.client("sts", key=DEPLOYER_KEY, secret=DEPLOYER_SECRET)
    assert deployer.get_caller_identity()["Arn"] == user["Arn"]
    kms = pipeline.client("kms")
    metadata = kms.describe_key(KeyId="alias/app")["KeyMetadata"]
    assert metadata["Description"] == "the application key"
    assert kms.list_resource_tags(KeyId=metadata["KeyId"])["Tags"] == [{"TagKey": "team", "TagValue": "payments"}]
    ciphertext = pipeline.client("kms", key=DEPLOYER_KEY, secret=DEPLOYER_SECRET).encrypt(
        KeyId="alias/app", Plaintext=b"seeded")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=ciphertext)["Plaintext"] == b"seeded"


def test_second_account_with_chosen_credentials_works_across_accounts(pipeline: DevServer) -> None:
    partner_sts = pipeline.client("sts", key=SECOND_KEY, secret=SECOND_SECRET)
    assert partner_sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{SECOND_ACCOUNT}:root"
    partner = pipeline.client("kms", key=SECOND_KEY, secret=SECOND_SECRET)
    key_arn = seeded_key_arn(pipeline)
    ciphertext = partner.encrypt(KeyId=key_arn, Plaintext=b"from the partner")["CiphertextBlob"]
    assert pipeline.client("kms").decrypt(CiphertextBlob=ciphertext)["Plaintext"] == b"from the partner"
    # The key policy grants Encrypt/Decrypt/DescribeKey, nothing more.
    assert refused(partner.disable_key, KeyId=key_arn) == "AccessDeniedException"
    assert refused(pipeline.client("sts", key=SECOND_KEY, secret="not-the-secret").get_caller_identity) == \
        "SignatureDoesNotMatch"


def test_reset_leaves_only_the_seeded_state(pipeline: DevServer) -> None:
    iam, kms = pipeline.client("iam"), pipeline.client("kms")
    seeded_arn = seeded_key_arn(pipeline)
    iam.create_user(UserName="temporary")
    key = iam.create_access_key(UserName="temporary")["AccessKey"]
    iam.put_user_policy(UserName="temporary", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    temporary = pipeline.client("kms", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    created = temporary.create_key(Description="made by a test")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/made-by-a-test", TargetKeyId=created)
    iam.create_user(UserName="another")

    status, body = pipeline.post("/_strongroom/reset")
    assert (status, body["status"]) == (200, "reset")

    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["deployer"]
    keys = kms.list_keys()["Keys"]
    customer_aliases = [a["AliasName"] for a in kms.list_aliases()["Aliases"] if not a["AliasName"].startswith(
        "alias/aws/")]
    assert customer_aliases == ["alias/app"]
    assert seeded_key_arn(pipeline) in [k["KeyArn"] for k in keys]
    assert created not in [k["KeyId"] for k in keys]
    # A seeded key is made anew: found again by its alias, under a new id.
    assert seeded_key_arn(pipeline) != seeded_arn
    # The wiped user's key is gone at once, although the server had it cached.
    assert refused(temporary.list_keys) == "UnrecognizedClientException"
    # What was seeded or bootstrapped still works.
    assert pipeline.client("sts").get_caller_identity()["Account"] == "000000000000"
    assert pipeline.client("sts", key=DEPLOYER_KEY, secret=DEPLOYER_SECRET).get_caller_identity()["Arn"].endswith(
        ":user/ci/deployer")
    partner = pipeline.client("kms", key=SECOND_KEY, secret=SECOND_SECRET)
    assert partner.encrypt(KeyId=seeded_key_arn(pipeline), Plaintext=b"x")["KeyId"] == seeded_key_arn(pipeline)


@pytest.mark.parametrize("path", ["/_localstack/state/reset", "/moto-api/reset"])
def test_localstack_and_moto_reset_paths_are_aliases(pipeline: DevServer, path: str) -> None:
    pipeline.client("iam").create_user(UserName="short-lived")
    status, body = pipeline.post(path)
    assert (status, body["status"]) == (200, "reset")
    assert [u["UserName"] for u in pipeline.client("iam").list_users()["Users"]] == ["deployer"]


def test_ready_and_localstack_health(pipeline: DevServer) -> None:
    for path in ("/_strongroom/ready", "/_localstack/health"):
        with urllib.request.urlopen(f"{pipeline.endpoint}{path}", timeout=5) as reply:
            body = json.loads(reply.read())
        assert reply.status == 200
        assert body["services"]["kms"] == "running"


def test_reset_with_two_workers_leaves_no_stale_credentials(tmp_path: Path) -> None:
    server = DevServer(tmp_path, "--enable-reset", workers=2)
    try:
        iam = server.client("iam")
        iam.create_user(UserName="cached")
        key = iam.create_access_key(UserName="cached")["AccessKey"]

        def fresh_client() -> Any:
            # A new connection each time, so that calls spread over both workers.
            return server.client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"])

        for _ in range(20):  # both workers look the key up and cache it
            fresh_client().get_caller_identity()
        assert server.post("/_strongroom/reset")[0] == 200
        for _ in range(20):
            assert refused(fresh_client().get_caller_identity) == "InvalidClientTokenId"
        assert server.client("sts").get_caller_identity()["Account"] == "000000000000"
    finally:
        server.stop()
