"""The seed file: accounts, IAM users, KMS keys, SSM parameters and secrets to create at start.

YAML (or JSON, by a `.json` name). Top-level `users`, `kms_keys`, `parameters` and `secrets` belong to
the default account; `accounts` lists more accounts, each with its chosen root credentials and the
same four lists. Unknown fields are errors, reported with where they are, so a typo never passes
silently. Values are checked again by the services when the seed is applied.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from strongroom.bootstrap import ACCOUNT_ID_PATTERN

MAX_KEYS_PER_USER = 2
DEFAULT_REGION = "us-east-1"


class SeedError(ValueError):
    """The seed file cannot be read or applied; the message says where and why (never a secret)."""


@dataclass(frozen=True)
class AccessKeySeed:
    access_key_id: str
    secret_access_key: str = field(repr=False)


@dataclass(frozen=True)
class UserSeed:
    name: str
    path: str = "/"
    access_keys: tuple[AccessKeySeed, ...] = ()
    # Inline policies by name, as JSON text.
    policies: Mapping[str, str] = field(default_factory=dict)
    managed_policies: tuple[str, ...] = ()


@dataclass(frozen=True)
class KmsKeySeed:
    alias: str
    region: str = DEFAULT_REGION
    spec: str = "SYMMETRIC_DEFAULT"
    usage: str | None = None
    description: str = ""
    policy: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    bypass_policy_lockout_safety_check: bool = False


@dataclass(frozen=True)
class ParameterSeed:
    name: str
    value: str = field(repr=False)
    type: str = "String"
    region: str = DEFAULT_REGION
    description: str | None = None
    key_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SecretSeed:
    name: str
    value: str = field(repr=False)
    region: str = DEFAULT_REGION
    description: str | None = None
    kms_key_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountSeed:
    # None: the default account.
    account_id: str | None = None
    root_access_key: AccessKeySeed | None = None
    users: tuple[UserSeed, ...] = ()
    kms_keys: tuple[KmsKeySeed, ...] = ()
    parameters: tuple[ParameterSeed, ...] = ()
    secrets: tuple[SecretSeed, ...] = ()


@dataclass(frozen=True)
class Seed:
    # The default account first, then the others in file order.
    accounts: tuple[AccountSeed, ...]


def load_seed(path: Path) -> Seed:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SeedError(f"cannot read the seed file {path}: {exc.strerror}") from None
    try:
        document = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise SeedError(f"the seed file {path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: "
                        f"{exc}") from None
    return parse_seed(document if document is not None else {})


def parse_seed(document: Any) -> Seed:
    top = _Fields(document, "seed")
    default = _account_contents(top, account_id=None, root_access_key=None)
    others = tuple(_account(item, f"accounts[{i}]") for i, item in enumerate(top.list("accounts")))
    top.done()
    ids = [account.account_id for account in others]
    duplicates = sorted({account_id for account_id in ids if ids.count(account_id) > 1 and account_id})
    if duplicates:
        raise SeedError(f"accounts: {', '.join(duplicates)} declared more than once")
    return Seed((default, *others))


class _Fields:
    """One mapping of the file, read field by field; `done` refuses the fields nobody asked for."""

    def __init__(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise SeedError(f"{where}: expected a mapping")
        self.value: dict[str, Any] = value
        self.where = where
        self._read: set[str] = set()

    def _get(self, name: str) -> Any:
        self._read.add(name)
        return self.value.get(name)

    def text(self, name: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self._get(name)
        if value is None:
            if required:
                raise SeedError(f"{self.where}: {name} is required")
            return default
        if not isinstance(value, str):
            hint = " (quote it, so that YAML keeps it a string)" if isinstance(value, int | float) else ""
            raise SeedError(f"{self.where}.{name}: expected a string{hint}")
        return value

    def required(self, name: str) -> str:
        value = self.text(name, required=True)
        assert value is not None
        return value

    def flag(self, name: str) -> bool:
        value = self._get(name)
        if value is not None and not isinstance(value, bool):
            raise SeedError(f"{self.where}.{name}: expected true or false")
        return bool(value)

    def list(self, name: str) -> list[Any]:
        value = self._get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise SeedError(f"{self.where}.{name}: expected a list")
        return value

    def tags(self, name: str = "tags") -> dict[str, str]:
        value = self._get(name)
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise SeedError(f"{self.where}.{name}: expected a mapping of strings to strings")
        return dict(value)

    def mapping(self, name: str) -> _Fields:
        """A nested mapping whose keys are names chosen by the file (e.g. inline policies by name)."""
        value = self._get(name)
        return _Fields({} if value is None else value, f"{self.where}.{name}")

    def policy(self, name: str) -> str | None:
        """A policy document, given as a mapping or as JSON text."""
        value = self._get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, dict):
            return json.dumps(value)
        raise SeedError(f"{self.where}.{name}: expected a policy document (a mapping, or JSON text)")

    def done(self) -> None:
        unknown = sorted(set(self.value) - self._read)
        if unknown:
            raise SeedError(f"{self.where}: unknown field {', '.join(map(repr, unknown))}")


def _account(value: Any, where: str) -> AccountSeed:
    fields = _Fields(value, where)
    account_id = fields.required("account_id")
    if not ACCOUNT_ID_PATTERN.fullmatch(account_id):
        raise SeedError(f"{where}.account_id: an account id must be exactly 12 digits")
    root_access_key = AccessKeySeed(fields.required("access_key_id"), fields.required("secret_access_key"))
    account = _account_contents(fields, account_id=account_id, root_access_key=root_access_key)
    fields.done()
    return account


def _account_contents(
    fields: _Fields, *, account_id: str | None, root_access_key: AccessKeySeed | None
) -> AccountSeed:
    where = fields.where
    return AccountSeed(
        account_id=account_id,
        root_access_key=root_access_key,
        users=tuple(_user(item, f"{where}.users[{i}]") for i, item in enumerate(fields.list("users"))),
        kms_keys=tuple(_kms_key(item, f"{where}.kms_keys[{i}]") for i, item in enumerate(fields.list("kms_keys"))),
        parameters=tuple(
            _parameter(item, f"{where}.parameters[{i}]") for i, item in enumerate(fields.list("parameters"))
        ),
        secrets=tuple(_secret(item, f"{where}.secrets[{i}]") for i, item in enumerate(fields.list("secrets"))),
    )


def _user(value: Any, where: str) -> UserSeed:
    fields = _Fields(value, where)
    keys = []
    for i, item in enumerate(fields.list("access_keys")):
        key = _Fields(item, f"{where}.access_keys[{i}]")
        keys.append(AccessKeySeed(key.required("access_key_id"), key.required("secret_access_key")))
        key.done()
    if len(keys) > MAX_KEYS_PER_USER:
        raise SeedError(f"{where}.access_keys: an IAM user has at most {MAX_KEYS_PER_USER} access keys")
    policy_fields = fields.mapping("policies")
    policies = {name: policy_fields.policy(name) or "" for name in policy_fields.value}
    managed = fields.list("managed_policies")
    if not all(isinstance(arn, str) for arn in managed):
        raise SeedError(f"{where}.managed_policies: expected a list of policy ARNs")
    user = UserSeed(
        name=fields.required("name"),
        path=fields.text("path", "/") or "/",
        access_keys=tuple(keys),
        policies=policies,
        managed_policies=tuple(managed),
    )
    fields.done()
    return user


def _kms_key(value: Any, where: str) -> KmsKeySeed:
    fields = _Fields(value, where)
    alias = fields.required("alias")
    if not alias.startswith("alias/") or alias.startswith("alias/aws/"):
        # The alias is how a seeded key is found again, at the next start and by the tests that use it.
        raise SeedError(f"{where}.alias: expected alias/<name> (and not alias/aws/...)")
    key = KmsKeySeed(
        alias=alias,
        region=fields.text("region", DEFAULT_REGION) or DEFAULT_REGION,
        spec=fields.text("spec", "SYMMETRIC_DEFAULT") or "SYMMETRIC_DEFAULT",
        usage=fields.text("usage"),
        description=fields.text("description", "") or "",
        policy=fields.policy("policy"),
        tags=fields.tags(),
        bypass_policy_lockout_safety_check=fields.flag("bypass_policy_lockout_safety_check"),
    )
    fields.done()
    return key


def _parameter(value: Any, where: str) -> ParameterSeed:
    fields = _Fields(value, where)
    parameter = ParameterSeed(
        name=fields.required("name"),
        value=fields.required("value"),
        type=fields.text("type", "String") or "String",
        region=fields.text("region", DEFAULT_REGION) or DEFAULT_REGION,
        description=fields.text("description"),
        key_id=fields.text("key_id"),
        tags=fields.tags(),
    )
    fields.done()
    return parameter


def _secret(value: Any, where: str) -> SecretSeed:
    fields = _Fields(value, where)
    secret = SecretSeed(
        name=fields.required("name"),
        value=fields.required("value"),
        region=fields.text("region", DEFAULT_REGION) or DEFAULT_REGION,
        description=fields.text("description"),
        kms_key_id=fields.text("kms_key_id"),
        tags=fields.tags(),
    )
    fields.done()
    return secret
