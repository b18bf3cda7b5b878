"""Parameter policies (advanced tier): Expiration, ExpirationNotification, NoChangeNotification.

`Policies` is a JSON array of at most 10 policies, one of each type; `[]` or `[{}]` removes them all.
Each policy gets a row saying when it next acts. The scheduled task acts on what is due at the
server clock's now: an Expiration deletes the parameter, the notifications emit a "Parameter Store
Policy Action" event. A worker claims a due row by flipping `done` in the transaction that acts, so
several workers never act twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from strongroom.errors import ServiceError
from strongroom.services.ssm import events
from strongroom.services.ssm.plugin import service
from strongroom.services.ssm.store import aware
from strongroom.services.ssm.tables import SsmParameter, SsmParameterPolicy

if TYPE_CHECKING:
    from strongroom.runtime import Runtime

EXPIRATION = "Expiration"
EXPIRATION_NOTIFICATION = "ExpirationNotification"
NO_CHANGE_NOTIFICATION = "NoChangeNotification"
MAX_POLICIES = 10
UNITS = {"Days": timedelta(days=1), "Hours": timedelta(hours=1)}

LIMIT_TEXT = ("You specified more than the maximum number of allowed policies for the parameter. "
              "The maximum is 10.")
TYPE_TEXT = ("The policy type isn't supported. Parameter Store supports the following policy types: "
             "Expiration, ExpirationNotification, and NoChangeNotification.")
ATTRIBUTE_TEXT = "A policy attribute or its value is invalid."
CONFLICT_TEXT = ("There is a conflict in the policies specified for this parameter. You can't, for example, "
                 "specify two Expiration policies for a parameter. Review your policies, and try again.")


@dataclass(frozen=True)
class Policy:
    type: str
    text: str
    attributes: dict[str, str]


def _bad_attribute() -> ServiceError:
    return ServiceError("InvalidPolicyAttributeException", ATTRIBUTE_TEXT)


def _timestamp(value: Any) -> datetime:
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        raise _bad_attribute() from None
    if when.tzinfo is None:
        raise _bad_attribute()
    return when


def _period(attributes: dict[str, str], amount_name: str) -> timedelta:
    amount, unit = str(attributes.get(amount_name, "")), attributes.get("Unit", "Days")
    if not amount.isdigit() or int(amount) < 1 or unit not in UNITS:
        raise _bad_attribute()
    return int(amount) * UNITS[unit]


def parse(text: str, now: datetime) -> list[Policy]:
    """The policies `text` declares, checked as AWS checks them; [] when it clears them."""
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise ServiceError("InvalidPolicyTypeException", TYPE_TEXT) from None
    if not isinstance(document, list):
        raise ServiceError("InvalidPolicyTypeException", TYPE_TEXT)
    document = [item for item in document if item != {}]
    if len(document) > MAX_POLICIES:
        raise ServiceError("PoliciesLimitExceededException", LIMIT_TEXT)
    policies: list[Policy] = []
    for item in document:
        if not isinstance(item, dict) or item.get("Type") not in (EXPIRATION, EXPIRATION_NOTIFICATION,
                                                                     NO_CHANGE_NOTIFICATION):
            raise ServiceError("InvalidPolicyTypeException", TYPE_TEXT)
        attributes = item.get("Attributes")
        if not isinstance(attributes, dict) or item.get("Version", "1.0") != "1.0":
            raise _bad_attribute()
        policy = Policy(item["Type"], orjson.dumps(item).decode(), {k: str(v) for k, v in attributes.items()})
        if policy.type == EXPIRATION and _timestamp(attributes.get("Timestamp")) <= now:
            raise _bad_attribute()
        if policy.type == EXPIRATION_NOTIFICATION:
            _period(policy.attributes, "Before")
        if policy.type == NO_CHANGE_NOTIFICATION:
            _period(policy.attributes, "After")
        policies.append(policy)
    types = [policy.type for policy in policies]
    if len(set(types)) != len(types) or (EXPIRATION_NOTIFICATION in types and EXPIRATION not in types):
        raise ServiceError("IncompatiblePolicyException", CONFLICT_TEXT)
    return policies


def stored(parameter_policies: str | None) -> list[Policy]:
    """The policies a parameter holds, from their stored texts."""
    policies = []
    for text in orjson.loads(parameter_policies or "[]"):
        item = orjson.loads(text)
        policies.append(Policy(item["Type"], text, {k: str(v) for k, v in item["Attributes"].items()}))
    return policies


def texts(policies: list[Policy]) -> str | None:
    return orjson.dumps([policy.text for policy in policies]).decode() if policies else None


def _due_at(policy: Policy, policies: list[Policy], modified_at: datetime) -> datetime:
    if policy.type == EXPIRATION:
        return _timestamp(policy.attributes["Timestamp"])
    if policy.type == NO_CHANGE_NOTIFICATION:
        return modified_at + _period(policy.attributes, "After")
    expiration = next(p for p in policies if p.type == EXPIRATION)
    return _timestamp(expiration.attributes["Timestamp"]) - _period(policy.attributes, "Before")


def schedule(session: Session, parameter: SsmParameter, policies: list[Policy], modified_at: datetime) -> None:
    """(Re)plan the parameter's policies after a change; a notification already sent for the same time stays sent."""
    scope = (SsmParameterPolicy.account_id == parameter.account_id, SsmParameterPolicy.region == parameter.region,
             SsmParameterPolicy.name == parameter.name)
    existing = {row.policy_type: row for row in session.scalars(select(SsmParameterPolicy).where(*scope))}
    wanted = {policy.type: _due_at(policy, policies, modified_at) for policy in policies}
    for policy_type, stale in existing.items():
        if policy_type not in wanted:
            session.delete(stale)
    for policy_type, due_at in wanted.items():
        row = existing.get(policy_type)
        if row is None:
            session.add(SsmParameterPolicy(account_id=parameter.account_id, region=parameter.region,
                                           name=parameter.name, policy_type=policy_type, due_at=due_at, done=False))
        elif aware(row.due_at) != due_at:
            row.due_at, row.done = due_at, False


def forget(session: Session, account_id: str, region: str, key: str) -> None:
    session.execute(delete(SsmParameterPolicy).where(
        SsmParameterPolicy.account_id == account_id, SsmParameterPolicy.region == region,
        SsmParameterPolicy.name == key,
    ))


def statuses(session: Session, parameter: SsmParameter, policies_text: str | None) -> list[dict[str, str]]:
    """ParameterInlinePolicy entries: Pending until the policy has acted, then Finished."""
    policies = stored(policies_text)
    if not policies:
        return []
    done = {row.policy_type: row.done for row in session.scalars(select(SsmParameterPolicy).where(
        SsmParameterPolicy.account_id == parameter.account_id, SsmParameterPolicy.region == parameter.region,
        SsmParameterPolicy.name == parameter.name,
    ))}
    return [{"PolicyText": policy.text, "PolicyType": policy.type,
             "PolicyStatus": "Finished" if done.get(policy.type) else "Pending"} for policy in policies]


BATCH = 200


@service.task("parameter-policies")
def act_on_due_policies(runtime: Runtime) -> None:
    """Delete expired parameters and send due notifications, one claimed policy per transaction."""
    from strongroom.services.ssm.deletion import delete_parameter
    from strongroom.services.ssm.names import parameter_arn_in

    now = runtime.clock.now()
    with runtime.database.session() as session:
        due = session.execute(select(
            SsmParameterPolicy.account_id, SsmParameterPolicy.region, SsmParameterPolicy.name,
            SsmParameterPolicy.policy_type,
        ).where(SsmParameterPolicy.done.is_(False), SsmParameterPolicy.due_at <= now).limit(BATCH)).all()
    for account_id, region, key, policy_type in due:
        with runtime.database.session() as session:
            claimed = session.execute(update(SsmParameterPolicy).where(
                SsmParameterPolicy.account_id == account_id, SsmParameterPolicy.region == region,
                SsmParameterPolicy.name == key, SsmParameterPolicy.policy_type == policy_type,
                SsmParameterPolicy.done.is_(False),
            ).values(done=True))
            parameter = session.get(SsmParameter, (account_id, region, key))
            if claimed.rowcount != 1 or parameter is None:  # type: ignore[attr-defined]
                continue
            arn = parameter_arn_in(region, account_id, key)
            policy = next((p for p in stored(parameter.policies) if p.type == policy_type), None)
            policy_text = policy.text if policy else ""
            if policy_type == EXPIRATION:
                events.policy_acted(session, parameter, arn, policy_type, policy_text,
                                    "The parameter expired and was deleted.", now)
                delete_parameter(session, parameter, arn, now)
            elif policy_type == EXPIRATION_NOTIFICATION:
                events.policy_acted(session, parameter, arn, policy_type, policy_text,
                                    "The parameter expires soon.", now)
            else:
                events.policy_acted(session, parameter, arn, policy_type, policy_text,
                                    "The parameter has not been changed for the period the policy sets.", now)
