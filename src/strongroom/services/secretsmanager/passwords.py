"""GetRandomPassword: every option, characters drawn with `secrets`."""

from __future__ import annotations

import secrets
import string
from typing import Any

from strongroom.context import RequestContext
from strongroom.services.secretsmanager.plugin import service
from strongroom.services.secretsmanager.store import invalid_parameter

PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
DEFAULT_LENGTH = 32


def random_password(
    length: int = DEFAULT_LENGTH,
    *,
    exclude: str = "",
    numbers: bool = True,
    punctuation: bool = True,
    uppercase: bool = True,
    lowercase: bool = True,
    space: bool = False,
    require_each: bool = True,
) -> str:
    excluded = set(exclude)
    groups = [
        chosen for wanted, chosen in (
            (lowercase, string.ascii_lowercase), (uppercase, string.ascii_uppercase), (numbers, string.digits),
            (punctuation, PUNCTUATION), (space, " "),
        )
        if wanted
    ]
    groups = ["".join(c for c in group if c not in excluded) for group in groups]
    groups = [group for group in groups if group]
    if not groups:
        raise invalid_parameter("The password can't be generated because every character type is excluded.")
    if require_each and length < len(groups):
        raise invalid_parameter(
            "The password length is too short to include a character from each of the included types."
        )
    alphabet = "".join(groups)
    chars = [secrets.choice(group) for group in groups] if require_each else []
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


@service.operation("GetRandomPassword")
def get_random_password(_ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    password = random_password(
        params.get("PasswordLength") or DEFAULT_LENGTH,
        exclude=params.get("ExcludeCharacters") or "",
        numbers=not params.get("ExcludeNumbers"),
        punctuation=not params.get("ExcludePunctuation"),
        uppercase=not params.get("ExcludeUppercase"),
        lowercase=not params.get("ExcludeLowercase"),
        space=bool(params.get("IncludeSpace")),
        require_each=params.get("RequireEachIncludedType", True) is not False,
    )
    return {"RandomPassword": password}
