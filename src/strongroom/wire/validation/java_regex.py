"""Java regular expressions, as written in AWS models, run with Python's `re` (or `regex`) engine.

AWS applies a member's `pattern` the way Java's `Matcher.matches()` does: the whole value must
match. The models' patterns are Java syntax, which differs from Python's in ways that matter:

- `\\w \\d \\s` (and negations) are ASCII-only in Java, Unicode in Python;
- the POSIX classes `\\p{Alpha}`, `\\p{Punct}`, ... are ASCII-only in Java;
- `\\uD800\\uDC00` is a UTF-16 surrogate pair, i.e. one supplementary code point;
- `\\x{1F600}`, `\\Q...\\E`, `\\p{IsL}`, `\\p{javaLowerCase}` have no direct Python spelling;
- `[a-z&&[^aeiou]]` and `[a[b]]` are intersection and union (`regex`'s V1 set syntax);
- `.` stops at every Java line terminator, not only `\\n`, unless `(?s)` makes it match everything.

`java_pattern(text)` translates once and compiles; a pattern it cannot handle yields None and the
caller skips that one check rather than failing requests.

Every value a request carries is matched against these patterns, often before its length is
checked, so each must stay linear in the value. The standard library's `re` runs a translation
whenever it can (nearly all: it is also 5-20x quicker per value than `regex`, whose bookkeeping
for repeated groups grows quadratically: `^[a-zA-Z0-9](-*[a-zA-Z0-9])*$` took 3.7 s on 160,000
characters); `regex` only where Unicode properties or Java's nested classes need it. A few model
patterns are ambiguous (`^[ \\t]*[\\x20-\\x7E]+([ \\t]+[\\x20-\\x7E]+)*[ \\t]*$`, EventBridge's header
values: 33 s on 20,000 characters in any backtracking engine) or backtrack quadratically; each is
run as an equivalent unambiguous pattern (`_LINEAR_FORMS`). tests/wire/test_validate_patterns_bounded.py
attacks every pattern of every served model to keep it so.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Protocol

import regex

# Java's ASCII-only classes, as character-class bodies (no brackets) so they nest anywhere.
_POSIX_CLASSES: dict[str, str] = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7F",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": "!-/:-@\\[-`{-~",
    "Graph": "!-~",
    "Print": " -~",
    "Blank": " \\t",
    "Cntrl": "\\x00-\\x1F\\x7F",
    "XDigit": "0-9a-fA-F",
    "Space": " \\t\\n\\x0B\\f\\r",
}
_SHORTHANDS: dict[str, str] = {"w": "a-zA-Z_0-9", "d": "0-9", "s": " \\t\\n\\x0B\\f\\r"}
_JAVA_PROPERTIES: dict[str, str] = {
    "javaLowerCase": "\\p{Ll}",
    "javaUpperCase": "\\p{Lu}",
    "javaLetter": "\\p{L}",
    "javaDigit": "\\p{Nd}",
    "javaLetterOrDigit": "\\p{L}\\p{Nd}",
    "javaWhitespace": "\\t\\n\\x0B\\f\\r\\x1C-\\x1F\\p{Zs}\\p{Zl}\\p{Zp}",
    "javaAlphabetic": "\\p{Alphabetic}",
    # Not Java, yet present in a few models; read the way their authors evidently meant.
    "all": "\\u0000-\\U0010FFFF",
    "LD": "\\p{L}\\p{Nd}",
}
# Unicode general categories, which Java also spells with an `Is` prefix (`\\p{IsLu}`).
_GENERAL_CATEGORIES = frozenset(
    {
        *("L", "Lu", "Ll", "Lt", "Lm", "Lo", "LC", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No"),
        *("P", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "S", "Sm", "Sc", "Sk", "So"),
        *("Z", "Zs", "Zl", "Zp", "C", "Cc", "Cf", "Cs", "Co", "Cn"),
    }
)
_ANY_BUT_LINE_TERMINATOR = "[^\\n\\r\\u0085\\u2028\\u2029]"


class _Translation:
    """One pass over a Java pattern, producing Python `regex` source and the flags it needs."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.out: list[str] = []
        self.class_depth = 0
        self.needs_v1 = False
        self.has_properties = False  # `\\p{..}`, which only `regex` reads
        self.dotall = False

    def run(self) -> str:
        text = self.source
        while self.pos < len(text):
            char = text[self.pos]
            self.pos += 1
            if char == "\\":
                self._escape()
            elif char == "[":
                if self.class_depth:
                    self.needs_v1 = True  # Java nested class = union
                self.class_depth += 1
                self.out.append("[")
                if text.startswith("^", self.pos):
                    self.out.append("^")
                    self.pos += 1
                if text.startswith("]", self.pos):  # a leading ']' is a literal in Java too
                    self.out.append("\\]")
                    self.pos += 1
            elif char == "]" and self.class_depth:
                self.class_depth -= 1
                self.out.append("]")
            elif char == "&" and self.class_depth and text.startswith("&", self.pos):
                self.needs_v1 = True  # Java intersection, same spelling in V1
                self.out.append("&&")
                self.pos += 1
            elif char == "(" and not self.class_depth and text.startswith("?", self.pos):
                flags = re.match(r"\?([a-zA-Z]*)(?:-[a-zA-Z]*)?[):]", text[self.pos :])
                if flags and "s" in flags.group(1):
                    self.dotall = True  # read as holding to the pattern's end; models use only `(?s)`
                self.out.append(char)
            elif char == "." and not self.class_depth:
                self.out.append("[\\s\\S]" if self.dotall else _ANY_BUT_LINE_TERMINATOR)
            elif char in "|~" and self.class_depth:
                # V1 reads `||` and `~~` as set operators; Java reads them as literals.
                self.out.append("\\" + char)
            else:
                self.out.append(char)
        return "".join(self.out)

    def _class_body(self, body: str, negated: bool) -> None:
        """Emit a set given as a class body, inside or outside an enclosing class."""
        if not self.class_depth:
            self.out.append(f"[{'^' if negated else ''}{body}]")
        elif negated:
            self.needs_v1 = True
            self.out.append(f"[^{body}]")
        else:
            self.out.append(body)

    def _escape(self) -> None:
        text = self.source
        if self.pos >= len(text):
            raise ValueError("trailing backslash")
        char = text[self.pos]
        self.pos += 1
        if char.lower() in _SHORTHANDS:
            self._class_body(_SHORTHANDS[char.lower()], negated=char.isupper())
        elif char in "pP":
            self._property(negated=char == "P")
        elif char == "u":
            self.out.append(_code_point_escape(self._utf16_code_point()))
        elif char == "x" and text.startswith("{", self.pos):
            end = text.index("}", self.pos)
            self.out.append(_code_point_escape(int(text[self.pos + 1 : end], 16)))
            self.pos = end + 1
        elif char == "Q":
            end = text.find("\\E", self.pos)
            end = len(text) if end < 0 else end
            self.out.append(regex.escape(text[self.pos : end]))
            self.pos = end + 2
        elif char == "z":
            self.out.append("\\Z")  # Python's \Z is Java's \z
        elif char == "h":
            self._class_body(" \\t\\xA0\\u1680\\u180E\\u2000-\\u200A\\u202F\\u205F\\u3000", negated=False)
        else:
            self.out.append("\\" + char)

    def _property(self, negated: bool) -> None:
        text = self.source
        if text.startswith("{", self.pos):
            end = text.index("}", self.pos)
            name = text[self.pos + 1 : end]
            self.pos = end + 1
        else:
            name = text[self.pos]
            self.pos += 1
        posix = _POSIX_CLASSES.get(name.removeprefix("Is")) if name != "IsAlphabetic" else None
        if posix is not None:
            self._class_body(posix, negated)
            return
        if name in _JAVA_PROPERTIES:
            self.has_properties = self.has_properties or "\\p" in _JAVA_PROPERTIES[name]
            self._class_body(_JAVA_PROPERTIES[name], negated)
            return
        if name.startswith("Is") and name[2:] in _GENERAL_CATEGORIES:
            name = name[2:]
        self.has_properties = True
        self.out.append(f"\\{'P' if negated else 'p'}{{{name}}}")

    def _utf16_code_point(self) -> int:
        unit = int(self.source[self.pos : self.pos + 4], 16)
        self.pos += 4
        follows_low = self.source.startswith("\\u", self.pos)
        if 0xD800 <= unit <= 0xDBFF and follows_low:
            low = int(self.source[self.pos + 2 : self.pos + 6], 16)
            if 0xDC00 <= low <= 0xDFFF:
                self.pos += 6
                return 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
        return unit


def _code_point_escape(code_point: int) -> str:
    return f"\\U{code_point:08X}" if code_point > 0xFFFF else f"\\u{code_point:04X}"


def translate(java_source: str) -> tuple[str, int]:
    """Python `regex` source and flags equivalent to the Java pattern `java_source`."""
    translation = _Translation(java_source)
    python_source = translation.run()
    return python_source, regex.V1 if translation.needs_v1 else regex.V0


class FullMatcher(Protocol):
    """What a compiled model pattern offers: Java's `matches()`, i.e. a match of the whole value."""

    def fullmatch(self, string: str) -> object | None: ...


# Model patterns that backtrack badly, each with an equivalent one that does not. The header
# patterns say "tabs and printable characters, at least one of them printable" in a way every
# backtracking engine tries exponentially many splits of (33 s on 20,000 characters).
_LINEAR_FORMS: dict[str, str] = {
    r"^[ \t]*[\x20-\x7E]+([ \t]+[\x20-\x7E]+)*[ \t]*$": r"^\t*[\x20-\x7E][\t\x20-\x7E]*$",
    r"^[ \t]*[^\x00-\x1F:\x7F]+([ \t]+[^\x00-\x1F:\x7F]+)*[ \t]*$":
        r"^\t*[^\x00-\x1F:\x7F][^\x00-\x08\x0A-\x1F:\x7F]*$",
    # `.+/.+`: a slash with something either side. Tried at every slash, each try running to the end
    # (EventBridge archive and bus ARNs: 8.6 s on 20,000 slashes); the first slash after the first
    # character is the only one worth trying.
    r"^arn:aws([a-z]|\-)*:events:([a-z]|\d|\-)*:([0-9]{12})?:.+\/.+$":
        r"^arn:aws([a-z]|\-)*:events:([a-z]|\d|\-)*:([0-9]{12})?:.[^/\n\r\u0085\u2028\u2029]*+\/.+$",
}


def linear_form(java_source: str) -> str:
    """The pattern `java_pattern` runs for `java_source`: itself, or its equivalent without bad backtracking."""
    return _LINEAR_FORMS.get(java_source, java_source)


@cache
def java_pattern(java_source: str) -> FullMatcher | None:
    """The compiled form of a model's Java pattern, or None when it cannot be expressed."""
    try:
        translation = _Translation(linear_form(java_source))
        python_source = translation.run()
        if translation.needs_v1 or translation.has_properties:
            compiled: FullMatcher = regex.compile(python_source, regex.V1 if translation.needs_v1 else regex.V0)
            return compiled
        return re.compile(python_source)
    except (re.error, regex.error, ValueError, IndexError):
        return None
