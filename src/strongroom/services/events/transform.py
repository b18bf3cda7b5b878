"""What a target receives: the event, or its `Input`, `InputPath` or `InputTransformer` result. Pure.

InputTransformer quoting, as the EventBridge API reference and user guide describe it: a placeholder
`<name>` outside a JSON string is replaced by its value as JSON (a string value gets quotes, an
object stays an object); inside a JSON string it is replaced by the value's text with JSON string
escaping (a string without quotes). A template that is a quoted string is a JSON string like any
other. A path that is not in the event gives `null` (outside strings) or nothing (inside).
Predefined: `aws.events.rule-arn`, `aws.events.rule-name`, `aws.events.event.ingestion-time`,
`aws.events.event` (the event without `detail`) and `aws.events.event.json` (the whole event).
"""

from __future__ import annotations

import json
import re
from typing import Any

_PATH = re.compile(r"\$((?:\.[A-Za-z0-9_\-/]+|\.\*|\[\d+\]|\[\*\])*)")
_STEP = re.compile(r"\.([A-Za-z0-9_\-/]+)|\.\*|\[(\d+)\]|\[\*\]")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_\-.]+)>")
PREDEFINED = ("aws.events.rule-arn", "aws.events.rule-name", "aws.events.event.ingestion-time",
              "aws.events.event", "aws.events.event.json")
_MISSING = object()


class InvalidTransform(ValueError):
    """A target's input settings are not valid; the text is AWS's ValidationException message."""


def is_json_path(path: str) -> bool:
    return _PATH.fullmatch(path) is not None


def read_path(document: Any, path: str) -> Any:
    """The value at `path` ($, .name, [n], .*, [*]); a list where a wildcard applies; _MISSING if absent."""
    if not is_json_path(path):
        return _MISSING
    values = [document]
    wildcard = False
    for step in _STEP.finditer(path[1:]):
        name, index = step.group(1), step.group(2)
        following: list[Any] = []
        for value in values:
            if name is not None:
                if isinstance(value, dict) and name in value:
                    following.append(value[name])
            elif index is not None:
                if isinstance(value, list) and int(index) < len(value):
                    following.append(value[int(index)])
            else:
                wildcard = True
                if isinstance(value, dict):
                    following.extend(value.values())
                elif isinstance(value, list):
                    following.extend(value)
        values = following
    if wildcard:
        return values
    return values[0] if values else _MISSING


def check_target_input(target_id: str, target: dict[str, Any]) -> None:
    """Raise InvalidTransform for settings PutTargets must refuse."""
    given = [member for member in ("Input", "InputPath", "InputTransformer") if member in target]
    if len(given) > 1:
        raise InvalidTransform(f"Only one of Input, InputPath, or InputTransformer must be provided for target "
                               f"{target_id}.")
    if "Input" in target:
        try:
            json.loads(target["Input"])
        except ValueError:
            raise InvalidTransform(f"Input for target {target_id} is not a valid JSON text.") from None
    if "InputPath" in target and not is_json_path(target["InputPath"]):
        raise InvalidTransform(f"InputPath for target {target_id} is invalid.")
    transformer = target.get("InputTransformer")
    if transformer is not None:
        paths = transformer.get("InputPathsMap") or {}
        for key, path in paths.items():
            if key.upper().startswith("AWS.") or key in PREDEFINED:
                raise InvalidTransform(f"InputPathsMap for target {target_id} contains reserved key {key}.")
            if not is_json_path(path):
                raise InvalidTransform(f"InputPathsMap for target {target_id} contains invalid JSON path {path}.")
        template = transformer["InputTemplate"]
        if template.lstrip().startswith(("{", "[")):
            trial = render_template(template, dict.fromkeys(paths), dict.fromkeys(PREDEFINED),
                                    placeholder_default=None)
            try:
                json.loads(trial)
            except ValueError:
                raise InvalidTransform(f"InputTemplate for target {target_id} contains invalid JSON.") from None


def target_input(target: dict[str, Any], event: dict[str, Any], *, rule_arn: str, rule_name: str,
                 ingestion_time: str) -> str:
    """The text the target receives for `event`."""
    if "Input" in target:
        return str(target["Input"])
    if "InputPath" in target:
        value = read_path(event, target["InputPath"])
        return json.dumps(None if value is _MISSING else value, separators=(",", ":"))
    transformer = target.get("InputTransformer")
    if transformer is None:
        return json.dumps(event, separators=(",", ":"))
    values = {key: read_path(event, path) for key, path in (transformer.get("InputPathsMap") or {}).items()}
    predefined = {
        "aws.events.rule-arn": rule_arn,
        "aws.events.rule-name": rule_name,
        "aws.events.event.ingestion-time": ingestion_time,
        "aws.events.event": {name: value for name, value in event.items() if name != "detail"},
        "aws.events.event.json": event,
    }
    return render_template(transformer["InputTemplate"], values, predefined)


def render_template(template: str, values: dict[str, Any], predefined: dict[str, Any], *,
                    placeholder_default: Any = _MISSING) -> str:
    """Substitute every `<name>` whose name is defined, quoting by where it stands (see module doc)."""
    output: list[str] = []
    in_string = False
    index = 0
    while index < len(template):
        char = template[index]
        if in_string and char == "\\":
            output.append(template[index:index + 2])
            index += 2
            continue
        if char == '"':
            in_string = not in_string
        elif char == "<":
            found = _PLACEHOLDER.match(template, index)
            if found and (found.group(1) in values or found.group(1) in predefined):
                name = found.group(1)
                value = values[name] if name in values else predefined[name]
                if value is _MISSING:
                    value = placeholder_default
                output.append(_inside_string(value) if in_string else _as_json(value))
                index = found.end()
                continue
        output.append(char)
        index += 1
    return "".join(output)


def _as_json(value: Any) -> str:
    return "null" if value is _MISSING else json.dumps(value, separators=(",", ":"))


def _inside_string(value: Any) -> str:
    if value is _MISSING:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return json.dumps(text)[1:-1]
