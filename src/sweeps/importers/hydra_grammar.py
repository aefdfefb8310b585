"""The value side of Hydra's override grammar (``key=VALUE``): function calls, lists, the
simple choice sweep ``a,b,c`` and primitive values (numbers, booleans, null, quoted or bare
strings). Parsed into a tree, never evaluated; :mod:`sweeps.importers.hydra_space` gives the
tree its meaning for the Optuna sweeper.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:(?P<quoted>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    |(?P<punct>[(),=\[\]{}])
    |(?P<word>[^\s(),=\[\]{}'"]+(?:[ \t]+[^\s(),=\[\]{}'"]+)*))""",
    re.X,
)
_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$")
_FLOAT = re.compile(
    r"^[-+]?(?:(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[0-9][0-9_]*[eE][-+]?[0-9]+"
    r"|inf|nan)$",
    re.I,
)


class Quoted(str):
    """A quoted string: Hydra keeps its quotes when it passes the value on."""

    __slots__ = ("quote",)
    quote: str

    def __new__(cls, text: str, quote: str) -> Quoted:
        value = super().__new__(cls, text)
        value.quote = quote
        return value

    def with_quotes(self) -> str:
        """The text as Hydra writes a quoted string back into an override."""
        return self.quote + self.replace(self.quote, "\\" + self.quote) + self.quote


class GrammarError(ValueError):
    """The text is not a value or sweep this parser understands."""


@dataclass
class Call:
    """A function call in an override, e.g. ``range(0, 5, step=0.5)``."""

    name: str
    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)
    simple: bool = False  # written as ``a,b,c`` rather than ``choice(a,b,c)``


def parse(text: str) -> Any:
    """A primitive value, a list, or a :class:`Call` tree; ``a,b,c`` is ``Call("choice")``
    with ``simple=True`` (Hydra's simple choice sweep)."""
    tokens = _tokenize(text)
    if not tokens:
        return ""
    values = []
    while True:
        value, tokens = _value(tokens)
        values.append(value)
        if not tokens:
            break
        if tokens[0] != ("punct", ","):
            raise GrammarError(f"unexpected {tokens[0][1]!r} after a complete value")
        tokens = tokens[1:]
    if len(values) == 1:
        return values[0]
    return Call("choice", values, simple=True)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos, text = [], 0, text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise GrammarError(f"cannot read {text[pos:]!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


@dataclass
class _Keyword:
    name: str
    value: Any


def _value(tokens: list[tuple[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
    if not tokens:
        raise GrammarError("a value is missing")
    (kind, text), rest = tokens[0], tokens[1:]
    if kind == "quoted":
        return _unquote(text), rest
    if kind == "punct" and text == "[":
        items, rest = _sequence(rest, "]")
        if any(isinstance(item, _Keyword) for item in items):
            raise GrammarError("a list cannot hold key=value")
        return items, rest
    if kind == "punct" and text == "{":
        raise GrammarError("a mapping {...} is not a value the importer reads")
    if kind != "word":
        raise GrammarError(f"unexpected {text!r}")
    if rest and rest[0] == ("punct", "("):
        items, rest = _sequence(rest[1:], ")")
        call = Call(text)
        for item in items:
            if isinstance(item, _Keyword):
                call.kwargs[item.name] = item.value
            else:
                call.args.append(item)
        return call, rest
    return primitive(text), rest


def _sequence(tokens: list[tuple[str, str]], close: str) -> tuple[list[Any], list[tuple[str, str]]]:
    items: list[Any] = []
    while tokens and tokens[0] != ("punct", close):
        if len(tokens) > 1 and tokens[0][0] == "word" and tokens[1] == ("punct", "="):
            value, rest = _value(tokens[2:])
            items.append(_Keyword(tokens[0][1], value))
            tokens = rest
        else:
            value, tokens = _value(tokens)
            items.append(value)
        if tokens and tokens[0] == ("punct", ","):
            tokens = tokens[1:]
        elif tokens and tokens[0] != ("punct", close):
            raise GrammarError(f"expected ',' or {close!r}, got {tokens[0][1]!r}")
    if not tokens:
        raise GrammarError(f"missing {close!r}")
    return items, tokens[1:]


def _unquote(text: str) -> Quoted:
    return Quoted(re.sub(r"\\(.)", r"\1", text[1:-1]), text[0])


def primitive(text: str) -> Any:
    """Hydra's reading of a bare word: int, float, bool, null or string."""
    lowered = text.lower()
    if lowered == "null":
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    if _INT.match(text):
        return int(text.replace("_", ""))
    if _FLOAT.match(text):
        return float(text.replace("_", ""))
    return text
