"""What a PutParameter value must satisfy: its tier's size, the allowed pattern, the data type; and tier choice.

Standard parameters hold 4 KB values (10,000 per account and region) and no policies; Advanced ones
8 KB (100,000) with policies. Intelligent-Tiering picks Standard unless the value, the policies or
the Standard quota need Advanced. A parameter may move from Standard to Advanced, never back.
"""

from __future__ import annotations

import re

import regex

from strongroom.errors import ServiceError

STANDARD = "Standard"
ADVANCED = "Advanced"
INTELLIGENT_TIERING = "Intelligent-Tiering"
VALUE_LIMITS = {STANDARD: 4096, ADVANCED: 8192}
COUNT_LIMITS = {STANDARD: 10_000, ADVANCED: 100_000}

TEXT = "text"
EC2_IMAGE = "aws:ec2:image"
SSM_INTEGRATION = "aws:ssm:integration"
DATA_TYPES = (TEXT, EC2_IMAGE, SSM_INTEGRATION)
_AMI_ID = re.compile(r"ami-(?:[0-9a-f]{8}|[0-9a-f]{17})")
# An AllowedPattern is the user's own regular expression, so no engine can promise linear time.
# Matching gets a deadline and lets go of the interpreter lock (`concurrent`), so other requests
# go on while it runs; compiling is bounded too: `regex` writes out an atom as many times as the
# product of the minimum counts around it (`((a{1000}){1000}){1000}` asked for gigabytes).
PATTERN_TIMEOUT_SECONDS = 0.5
MAX_UNROLLED = 10_000
_COUNT = re.compile(r"\{(\d*)(?:,\d*)?\}")

STANDARD_TOO_LARGE = (
    "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter "
    "value, upgrade the parameter to use the advanced-parameter tier. For more information, see "
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html"
)
ADVANCED_TOO_LARGE = (
    "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less "
    "than or equal to 8192"
)
NO_DOWNGRADE = (
    "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter "
    "tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a "
    "standard parameter."
)
STANDARD_POLICIES = (
    "Parameter policies are supported only for advanced-tier parameters. To add policies to this parameter, "
    "change its tier to Advanced or Intelligent-Tiering."
)
LIMIT_EXCEEDED = (
    "You have exceeded the number of parameters for this Amazon Web Services account. Delete one or more "
    "parameters and try again."
)


def check_data_type(data_type: str, parameter_type: str, value: str) -> None:
    if data_type not in DATA_TYPES:
        raise ServiceError(
            "ValidationException", f"The following data type is not supported: {data_type} "
            "(Data type names are all lowercase.)",
        )
    if data_type == EC2_IMAGE:
        if parameter_type != "String":
            raise ServiceError("ValidationException",
                               "The aws:ec2:image data type is supported only for parameters of type String.")
        if not _AMI_ID.fullmatch(value):
            raise ServiceError("ValidationException", "Invalid Parameter Value. The value of a parameter with the "
                               "aws:ec2:image data type must be an AMI ID, such as ami-0123456789abcdef0.")
    if data_type == SSM_INTEGRATION and parameter_type != "SecureString":
        raise ServiceError("ValidationException",
                           "The aws:ssm:integration data type is supported only for parameters of type SecureString.")


def _unrolled(pattern: str) -> int:
    """About the most copies of one atom `regex` writes out for the pattern: the product of the
    minimum repeat counts around it (escapes and character classes skipped, roughly)."""
    groups = [1]  # the largest product seen inside each open group
    last = 1  # the product of the atom or group just read, before any count that follows it
    index = 0
    while index < len(pattern):
        char = pattern[index]
        count = _COUNT.match(pattern, index) if char == "{" else None
        if count:
            last *= int(count.group(1) or 0)
            groups[-1] = max(groups[-1], last)
            index = count.end()
            continue
        if char == "(":
            groups.append(1)
        elif char == ")" and len(groups) > 1:
            last = groups.pop()
            groups[-1] = max(groups[-1], last)
        else:
            last = 1
            if char == "\\":
                index += 1
            elif char == "[":
                index = pattern.find("]", index + 2)
                index = len(pattern) if index < 0 else index
        index += 1
    return max(groups)


def compile_pattern(pattern: str) -> regex.Pattern[str]:
    invalid = ServiceError("InvalidAllowedPatternException",
                           f"The allowed pattern {pattern} is not a valid regular expression.")
    if _unrolled(pattern) > MAX_UNROLLED:
        raise invalid
    try:
        return regex.compile(pattern)
    except (regex.error, RecursionError, MemoryError, OverflowError):
        raise invalid from None


def check_pattern(pattern: str | None, value: str) -> None:
    """The whole value must match the parameter's AllowedPattern (as Java's `matches`)."""
    if not pattern:
        return
    compiled = compile_pattern(pattern)
    try:
        matched = compiled.fullmatch(value, timeout=PATTERN_TIMEOUT_SECONDS, concurrent=True) is not None
    except TimeoutError:
        matched = False
    if not matched:
        raise ServiceError("ParameterPatternMismatchException",
                           f"Parameter value, cannot be validated against allowedPattern: {pattern}")


def choose_tier(
    requested: str | None, current: str | None, value: str, has_policies: bool, standard_full: bool
) -> str:
    """The tier the new version gets."""
    if requested is None:
        requested = current or STANDARD
    if requested == INTELLIGENT_TIERING:
        needs_advanced = current == ADVANCED or len(value) > VALUE_LIMITS[STANDARD] or has_policies or standard_full
        return ADVANCED if needs_advanced else STANDARD
    if requested == STANDARD and current == ADVANCED:
        raise ServiceError("ValidationException", NO_DOWNGRADE)
    return requested


def check_tier(tier: str, value: str, has_policies: bool) -> None:
    if len(value) > VALUE_LIMITS[tier]:
        raise ServiceError("ValidationException", STANDARD_TOO_LARGE if tier == STANDARD else ADVANCED_TOO_LARGE)
    if tier == STANDARD and has_policies:
        raise ServiceError("ValidationException", STANDARD_POLICIES)
