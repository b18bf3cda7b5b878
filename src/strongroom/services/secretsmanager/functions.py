"""Rotation functions: what a `RotationLambdaARN` names on this server.

Strongroom runs no Lambda. A `RotationLambdaARN` (`arn:aws:lambda:REGION:ACCOUNT:function:NAME`) names
either
- the built-in PostgreSQL single-user rotator, function name `strongroom-postgresql-single-user`; or
- an HTTP endpoint the administrator mapped to the function, by full ARN or by NAME, in the JSON
  object of the environment variable `STRONGROOM_ROTATION_ENDPOINTS` or of the file
  `rotation-endpoints.json` in the data directory (read at each use, the file winning), e.g.
  `{"my-rotator": "http://127.0.0.1:9000/rotate"}`.
An endpoint receives, for each step, a POST of the JSON event a Lambda rotation function receives
(`Step`, `SecretId`, `ClientRequestToken`, `RotationToken`) and answers 2xx on success; it calls the
Secrets Manager API itself with its own credentials. It is only ever called at its configured URL.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from strongroom.errors import ServiceError

BUILTIN_POSTGRES = "strongroom-postgresql-single-user"
ENDPOINTS_VARIABLE = "STRONGROOM_ROTATION_ENDPOINTS"
ENDPOINTS_FILE = "rotation-endpoints.json"
STEP_TIMEOUT_SECONDS = 60.0
_LAMBDA_ARN = re.compile(r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]{1,64})(?::[A-Za-z0-9$_-]+)?")

NOT_INVOKABLE_TEXT = (
    "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access "
    "to the principal secretsmanager.amazonaws.com."
)


class StepFailed(Exception):
    """A rotation step did not succeed; the message is safe to record (it never holds a secret value)."""


@dataclass(frozen=True)
class RotationFunction:
    arn: str
    # An HTTP endpoint's URL, or None for the built-in PostgreSQL rotator.
    url: str | None

    @property
    def builtin(self) -> bool:
        return self.url is None


def _configured(data_dir: Path) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for text in (os.environ.get(ENDPOINTS_VARIABLE), _read(data_dir / ENDPOINTS_FILE)):
        if not text:
            continue
        try:
            loaded = json.loads(text)
        except ValueError:
            continue
        if isinstance(loaded, dict):
            mapping.update({str(k): str(v) for k, v in loaded.items()})
    return mapping


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def function_for(arn: str, data_dir: Path) -> RotationFunction | None:
    """The function `arn` names here; None when it names nothing this server can invoke."""
    match = _LAMBDA_ARN.fullmatch(arn)
    if match is None:
        return None
    name = match.group(1)
    if name == BUILTIN_POSTGRES:
        return RotationFunction(arn, None)
    endpoints = _configured(data_dir)
    url = endpoints.get(arn) or endpoints.get(name)
    if url is None or not url.startswith(("http://", "https://")):
        return None
    return RotationFunction(arn, url)


def checked_function(arn: str, data_dir: Path) -> RotationFunction:
    function = function_for(arn, data_dir)
    if function is None:
        raise ServiceError("AccessDeniedException", NOT_INVOKABLE_TEXT)
    return function


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """The endpoint is called at its configured URL only: a redirect is an answer, not a new destination."""

    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def invoke_endpoint(url: str, event: dict[str, str]) -> None:
    """POST one step's event to the endpoint; anything but a 2xx answer fails the step."""
    # function_for admits http and https URLs only.
    request = urllib.request.Request(  # noqa: S310
        url, data=json.dumps(event).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with _opener.open(request, timeout=STEP_TIMEOUT_SECONDS) as reply:
            status = reply.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (OSError, ValueError) as error:
        raise StepFailed(f"the rotation function could not be reached for step {event['Step']}: "
                         f"{type(error).__name__}") from None
    if not 200 <= status < 300:
        raise StepFailed(f"the rotation function failed step {event['Step']} (HTTP {status})")


StepRunner = Callable[[str], None]
