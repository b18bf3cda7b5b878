"""The developer store's default account and its conventional `test`/`test` root key.

`test` is not an AWS-shaped access key id, so the credential store's validation (which
`admin create-account` and seed files go through) would refuse it: the key is written here, sealed by
the barrier exactly as the credential store seals every secret, and only on a store that developer
mode set up. Requests signed with it are SigV4-verified like any other: a wrong secret is refused.
A store set up this way is marked, and is never served without --dev.
"""

from __future__ import annotations

from strongroom.auth.credentials import ACTIVE, seal_secret
from strongroom.auth.principal import root_arn
from strongroom.barrier import Barrier
from strongroom.bootstrap import ACCOUNT_ID_PATTERN, DEFAULT_ACCOUNT_ID, ROOT_PRINCIPAL_TYPE
from strongroom.clock import Clock
from strongroom.devmode import markers
from strongroom.store.db import Database
from strongroom.store.tables import AccessKey, Account

DEVELOPER_ACCESS_KEY_ID = "test"
DEVELOPER_SECRET_ACCESS_KEY = "test"  # noqa: S105 (the well-known test credential, by design)


class DeveloperStoreError(ValueError):
    """The data dir or database cannot be used in (or outside) developer mode as asked."""


def ensure_developer_account(db: Database, barrier: Barrier, clock: Clock, requested: str | None) -> str:
    """The developer store's default account id; on first start, the account and its test/test key."""
    if requested is not None and not ACCOUNT_ID_PATTERN.fullmatch(requested):
        raise DeveloperStoreError("an account id must be exactly 12 digits")
    with db.session() as session:
        existing = markers.read(session, markers.DEVELOPER_ACCOUNT)
        if existing is not None:
            if requested is not None and requested != existing:
                raise DeveloperStoreError(
                    f"this data was set up with the default account {existing}; "
                    "drop --account-id or use a fresh data dir"
                )
            return existing
        account_id = requested or DEFAULT_ACCOUNT_ID
        for taken in {DEFAULT_ACCOUNT_ID, account_id}:
            if session.get(Account, taken) is not None:
                raise DeveloperStoreError(
                    f"this data already has the account {taken} and was not set up by --dev; developer mode "
                    "will not add test/test credentials to it: use a fresh --data-dir (or none)"
                )
        if session.get(AccessKey, DEVELOPER_ACCESS_KEY_ID) is not None:
            raise DeveloperStoreError("the access key id 'test' is already taken in this data")
        now = clock.now()
        session.add(Account(account_id=account_id, created_at=now))
        session.flush()
        key = AccessKey(
            access_key_id=DEVELOPER_ACCESS_KEY_ID,
            account_id=account_id,
            principal_type=ROOT_PRINCIPAL_TYPE,
            principal_arn=root_arn(account_id),
            principal_id=account_id,
            user_name=None,
            status=ACTIVE,
            created_at=now,
        )
        seal_secret(barrier, key, DEVELOPER_SECRET_ACCESS_KEY)
        session.add(key)
        markers.write(session, markers.DEVELOPER_ACCOUNT, account_id)
    return account_id


def refuse_developer_store(db: Database) -> None:
    """Outside developer mode: a store that admits test/test is not served."""
    with db.session() as session:
        account_id = markers.read(session, markers.DEVELOPER_ACCOUNT)
    if account_id is not None:
        raise DeveloperStoreError(
            "this data was set up by `strongroom serve --dev` and admits the test/test credentials; "
            "serve it with --dev, or use another data dir"
        )
