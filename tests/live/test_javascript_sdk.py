"""The AWS SDK for JavaScript v3 (a second real client beside botocore) against a Strongroom server.

`tests/js/sdk_calls.mjs` makes the calls and prints what came back; the assertions are here. Needs node
and the packages of `tests/js` (`make test` installs them with npm): skipped without them, except
under CI, which must run them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

JS_DIR = Path(__file__).resolve().parents[1] / "js"


def _node() -> str:
    node = shutil.which("node")
    missing = None if node else "node is not installed"
    if node and not (JS_DIR / "node_modules" / "@aws-sdk" / "client-kms").is_dir():
        missing = "the JavaScript SDK is not installed (cd tests/js && npm ci)"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing}; CI must run the JavaScript SDK tests", pytrace=False)
        pytest.skip(missing)
    assert node is not None
    return node


def run_sdk(server: Any) -> dict[str, Any]:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "STRONGROOM_ENDPOINT": server.endpoint,
        "AWS_ACCESS_KEY_ID": server.access_key_id,
        "AWS_SECRET_ACCESS_KEY": server.secret_access_key,
        "RUN_ID": uuid.uuid4().hex[:12],
    }
    completed = subprocess.run(
        [_node(), str(JS_DIR / "sdk_calls.mjs")], cwd=JS_DIR, env=environment, capture_output=True, text=True,
        timeout=120, check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def test_every_served_service_through_the_javascript_sdk(server):
    result = run_sdk(server)
    kms = result["kms"]
    assert kms["decrypted"] == "from javascript"
    assert kms["decryptedKeyId"].endswith(f":key/{kms['keyId']}")
    assert kms["dataKeyLengths"] == [32, True]
    assert kms["signatureValid"] is True
    # AWS's error codes reach the SDK as its own typed classes, with AWS's statuses.
    assert kms["badCiphertext"] == {"name": "InvalidCiphertextException", "typed": True, "status": 400}
    assert kms["missingKey"] == {"name": "NotFoundException", "typed": True, "status": 400}

    ssm = result["ssm"]
    assert [entry[1:] for entry in ssm["byPath"]] == [["String", "p"], ["SecureString", "s3cret"]]
    assert ssm["missing"] == {"name": "ParameterNotFound", "typed": True, "status": 400}

    secrets = result["secretsmanager"]
    assert (secrets["value"], secrets["stages"]) == ("shh", ["AWSCURRENT"])
    assert secrets["missing"] == {"name": "ResourceNotFoundException", "typed": True, "status": 400}

    # LookupEvents through the SDK's own X-Amz-Target form; the KMS calls above are in it, newest first.
    names = result["cloudtrail"]["eventNames"]
    assert names[-1] == "CreateKey"
    assert {"Encrypt", "Decrypt", "GenerateDataKey"} <= set(names)
