"""The broken constraints found in one request, and the message AWS builds from them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# AWS reports at most this many violations (and then says "10 validation errors detected").
REPORTED_LIMIT = 10


class EnoughViolations(Exception):
    """Raised once the report is full, so a huge invalid input costs no more to walk."""


class Violations:
    """Collects `Value ... at '<path>' failed to satisfy constraint: ...` lines in report order."""

    __slots__ = ("limit", "lines")

    def __init__(self, limit: int = REPORTED_LIMIT) -> None:
        self.limit = limit
        self.lines: list[str] = []

    def add(self, path: str, value: Any, render: Callable[[Any], str] | None, constraint: str) -> None:
        """Record one violation; `render` None means the value is sensitive and is left out."""
        if render is None:
            shown = "Value"
        elif value is None:
            shown = "Value null"
        else:
            shown = f"Value '{render(value)}'"
        self.lines.append(f"{shown} at '{path}' failed to satisfy constraint: {constraint}")
        if len(self.lines) >= self.limit:
            raise EnoughViolations

    def message(self) -> str:
        """`N validation error(s) detected: a; b; ...`."""
        count = len(self.lines)
        noun = "error" if count == 1 else "errors"
        return f"{count} validation {noun} detected: " + "; ".join(self.lines)
