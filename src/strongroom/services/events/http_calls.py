"""Outbound HTTP for API destinations: one request to the configured endpoint only (redirects are not
followed), with a timeout, and the connection's authorization: an API key header, basic auth, or an
OAuth client-credentials bearer token fetched from the connection's authorization endpoint.
Secret values go into requests and nowhere else: not into errors, logs or the store unsealed.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

# EventBridge gives an API destination 5 seconds to answer.
TIMEOUT_SECONDS = 5.0
USER_AGENT = "Amazon/EventBridge/ApiDestinations"


@dataclass(frozen=True)
class HttpResult:
    status: int | None  # None: no answer (connection failed, timed out)
    body: bytes = b""
    error: str = ""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())


def send(method: str, url: str, headers: dict[str, str], body: bytes | None) -> HttpResult:
    """One HTTP request; an error status is a result, not an exception."""
    if urlsplit(url).scheme not in ("http", "https"):
        return HttpResult(None, error="unsupported URL scheme")
    request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as reply:
            return HttpResult(reply.status, reply.read(65536))
    except urllib.error.HTTPError as error:
        return HttpResult(error.code, error.read(65536) if error.fp else b"")
    except TimeoutError:
        return HttpResult(None, error="timed out")
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return HttpResult(None, error=f"connection failed: {type(reason).__name__}")


def with_query(url: str, parameters: dict[str, str]) -> str:
    if not parameters:
        return url
    parts = urlsplit(url)
    query = "&".join(part for part in (parts.query, urlencode(parameters)) if part)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _parameters(http: dict[str, Any], member: str) -> dict[str, str]:
    return {item["Key"]: str(item.get("Value", "")) for item in http.get(member, []) if "Key" in item}


def connection_http_parameters(auth: dict[str, Any]) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(headers, query, body) parameters the connection adds to every invocation."""
    http = auth.get("InvocationHttpParameters") or {}
    return (_parameters(http, "HeaderParameters"), _parameters(http, "QueryStringParameters"),
            _parameters(http, "BodyParameters"))


def static_auth_header(auth: dict[str, Any]) -> tuple[str, str] | None:
    """The header API-key and basic connections send; None for OAuth."""
    if "ApiKeyAuthParameters" in auth:
        parameters = auth["ApiKeyAuthParameters"]
        return parameters["ApiKeyName"], parameters["ApiKeyValue"]
    if "BasicAuthParameters" in auth:
        parameters = auth["BasicAuthParameters"]
        pair = f"{parameters['Username']}:{parameters['Password']}".encode()
        return "Authorization", "Basic " + base64.b64encode(pair).decode()
    return None


@dataclass(frozen=True)
class Token:
    access_token: str
    expires_in: int | None


def fetch_oauth_token(auth: dict[str, Any]) -> Token | str:
    """A client-credentials token from the connection's authorization endpoint, or why not."""
    oauth = auth["OAuthParameters"]
    client = oauth["ClientParameters"]
    headers, query, body_parameters = (
        _parameters(oauth.get("OAuthHttpParameters") or {}, member)
        for member in ("HeaderParameters", "QueryStringParameters", "BodyParameters")
    )
    pair = f"{client['ClientID']}:{client['ClientSecret']}".encode()
    headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    headers.setdefault("User-Agent", USER_AGENT)
    form = {"grant_type": "client_credentials", **body_parameters}
    method = oauth.get("HttpMethod", "POST")
    url = with_query(oauth["AuthorizationEndpoint"], query)
    body: bytes | None = None
    if method == "GET":
        url = with_query(url, form)
    else:
        body = urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    result = send(method, url, headers, body)
    if result.status is None:
        return f"Authorization endpoint unreachable: {result.error}"
    if not 200 <= result.status < 300:
        return f"Authorization endpoint answered HTTP {result.status}"
    try:
        answer = json.loads(result.body)
        token = answer["access_token"]
    except (ValueError, KeyError, TypeError):
        return "Authorization endpoint answered without an access_token"
    expires = answer.get("expires_in")
    return Token(str(token), int(expires) if isinstance(expires, int | float) else None)
