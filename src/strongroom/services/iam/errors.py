"""IAM's errors, with the codes and texts IAM answers."""

from __future__ import annotations

from strongroom.auth.policy import MalformedPolicy
from strongroom.errors import ServiceError

# Entity kinds as IAM's messages name them.
USER, GROUP, ROLE = "user", "group", "role"


def no_such_entity(message: str) -> ServiceError:
    return ServiceError("NoSuchEntity", message)


def no_such(kind: str, name: str) -> ServiceError:
    return no_such_entity(f"The {kind} with name {name} cannot be found.")


def already_exists(kind: str, name: str) -> ServiceError:
    return ServiceError("EntityAlreadyExists", f"{kind.capitalize()} with name {name} already exists.")


def delete_conflict(message: str) -> ServiceError:
    return ServiceError("DeleteConflict", message)


def limit_exceeded(message: str) -> ServiceError:
    return ServiceError("LimitExceeded", message)


def invalid_input(message: str) -> ServiceError:
    return ServiceError("InvalidInput", message)


def validation_error(message: str) -> ServiceError:
    return ServiceError("ValidationError", message)


def malformed(problem: MalformedPolicy) -> ServiceError:
    """IAM rejects an oversized document as a quota (LimitExceeded), anything else as malformed."""
    if problem.limit_exceeded:
        return limit_exceeded(problem.reason)
    return ServiceError("MalformedPolicyDocument", problem.reason)


def invalid_principal(arn: str) -> ServiceError:
    """A trust policy naming a user or role that does not exist."""
    return ServiceError("MalformedPolicyDocument", f'Invalid principal in policy: "AWS":"{arn}"')


def no_such_policy(arn: str) -> ServiceError:
    return no_such_entity(f"Policy {arn} was not found.")


def not_attachable(arn: str) -> ServiceError:
    return no_such_entity(f"Policy {arn} does not exist or is not attachable.")


def policy_exists(name: str) -> ServiceError:
    return ServiceError(
        "EntityAlreadyExists", f"A policy called {name} already exists. Duplicate names are not allowed."
    )
