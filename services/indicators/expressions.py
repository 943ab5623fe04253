"""The expression grammar of indicators.yaml (`conventions.expression_grammar`) as a small AST.

A catalogue writes each condition of a `where` list or population as one line of text:

    <ref> == <Value> | <ref> != <Value>
    <ref> in [A, B] | <ref> not_in [A, B]
    <ref> has <Value> | <ref> has_any [A, B]          (multi-select fields)
    <ref> in_period | <ref> in_previous_period | <ref> <= period_end
    <ref> exists | <ref> missing
    <ref> < n | <= n | >= n | > n
    exists <Event>(<cond>; <cond>) | not exists <Event>(...)
    days_between(<date ref>, <date ref>) and first(<Event>.<attr>) as refs
    {name}: a value from the indicator's parameters, or {deployment_country}

A ref is a bare name (a case field, a derived field, or inside `<Event>(...)` an attribute of
that event), `<Owner>.<attr>` (an event type's or an `agg_` records field's attribute), or one
of the two functions. An OR group (`{any_of: [...]}`) is YAML structure, not text; it becomes
an `AnyOf` node here so that evaluators see one tree.

This module knows syntax only. Whether a name resolves, and whether a value is allowed for it,
is checked against a catalogue in `catalogue.py`; what a condition means for a person is in
`evaluator.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

# --- AST: refs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Name:
    """A case field, a derived field, or (inside `<Event>(...)`) an attribute of that event."""

    name: str


@dataclass(frozen=True)
class Attribute:
    """`<owner>.<attr>`: an attribute of an event type or of an `agg_` records field."""

    owner: str
    name: str


@dataclass(frozen=True)
class DaysBetween:
    start: Ref
    end: Ref


@dataclass(frozen=True)
class First:
    """The attribute of the person's earliest event of a type."""

    event: str
    attribute: str


Ref = Name | Attribute | DaysBetween | First

# --- AST: values -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Code:
    """A bare word on the right-hand side: a picklist code or a derived category."""

    value: str


@dataclass(frozen=True)
class Number:
    value: int | float


@dataclass(frozen=True)
class Flag:
    value: bool


@dataclass(frozen=True)
class Parameter:
    """`{name}`: replaced by `bind` before evaluation."""

    name: str


@dataclass(frozen=True)
class PeriodEnd:
    """The last day of the reference period."""


Operand = Code | Number | Flag | Parameter | PeriodEnd

# --- AST: conditions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    ref: Ref
    operator: str  # == != < <= >= >
    operand: Operand


@dataclass(frozen=True)
class Membership:
    ref: Ref
    operator: str  # in not_in has has_any
    values: tuple[Operand, ...]


@dataclass(frozen=True)
class PeriodTest:
    ref: Ref
    operator: str  # in_period in_previous_period


@dataclass(frozen=True)
class Presence:
    ref: Ref
    present: bool  # `exists` if true, `missing` if false


@dataclass(frozen=True)
class EventExists:
    """The person has an event of this type meeting every condition (`not exists`: none)."""

    event: str
    conditions: tuple[Condition, ...]
    negated: bool = False


@dataclass(frozen=True)
class AnyOf:
    conditions: tuple[Condition, ...]


Condition = Comparison | Membership | PeriodTest | Presence | EventExists | AnyOf

EQUALITY = ("==", "!=")
ORDERING = ("<", "<=", ">=", ">")
LISTS = ("in", "not_in", "has_any")
PERIOD_TESTS = ("in_period", "in_previous_period")
DEPLOYMENT_COUNTRY = "deployment_country"

# --- Errors ------------------------------------------------------------------------------------


class ExpressionError(ValueError):
    """A condition that does not follow the grammar; names the text and the 0-based position."""

    def __init__(self, expression: str, position: int, message: str) -> None:
        super().__init__(f"{message} at position {position} of {expression!r}")
        self.expression = expression
        self.position = position
        self.message = message


# --- Tokens ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # name number param op punct end
    text: str
    position: int


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>-?\d+(?:\.\d+)?(?![A-Za-z_]))
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<param>\{[A-Za-z_][A-Za-z0-9_]*\})
  | (?P<op>==|!=|<=|>=|<|>)
  | (?P<punct>[()\[\],;.])
    """,
    re.VERBOSE,
)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ExpressionError(text, position, f"unexpected character {text[position]!r}")
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, match.group(), position))
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# --- Parser ------------------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the token list; one method per grammar rule."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.at = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.at + ahead, len(self.tokens) - 1)]

    def fail(self, message: str, token: Token | None = None) -> ExpressionError:
        token = token or self.token
        found = "the end" if token.kind == "end" else repr(token.text)
        return ExpressionError(self.text, token.position, f"{message}, found {found}")

    def take(self, text: str) -> Token:
        if self.token.text != text or self.token.kind not in ("op", "punct", "name"):
            raise self.fail(f"expected {text!r}")
        return self._advance()

    def take_name(self, what: str) -> str:
        if self.token.kind != "name":
            raise self.fail(f"expected {what}")
        return self._advance().text

    def _advance(self) -> Token:
        token = self.token
        self.at += 1
        return token

    def finish(self) -> None:
        if self.token.kind != "end":
            raise self.fail("expected the end of the expression")

    # condition := 'not' 'exists' event_call | 'exists' event_call | ref test
    def condition(self) -> Condition:
        if self.token.text == "not" and self.peek().text == "exists":
            self.at += 2
            return self.event_call(negated=True)
        if self.token.text == "exists" and self.token.kind == "name":
            self.at += 1
            return self.event_call(negated=False)
        return self.test(self.ref())

    # event_call := Event '(' [condition {';' condition}] ')'
    def event_call(self, negated: bool) -> EventExists:
        event = self.take_name("an event type after 'exists'")
        self.take("(")
        conditions: list[Condition] = []
        if self.token.text != ")":
            conditions.append(self.condition())
            while self.token.text == ";":
                self._advance()
                conditions.append(self.condition())
        if self.token.text != ")":
            raise self.fail("expected ';' or ')' in the event's conditions")
        self._advance()
        return EventExists(event, tuple(conditions), negated)

    # ref := days_between '(' ref ',' ref ')' | first '(' Owner '.' attr ')' | name ['.' name]
    def ref(self) -> Ref:
        name = self.take_name("a field, <Event>.<attr>, days_between(...) or first(...)")
        if name == "days_between" and self.token.text == "(":
            self._advance()
            start = self.ref()
            self.take(",")
            end = self.ref()
            self.take(")")
            return DaysBetween(start, end)
        if name == "first" and self.token.text == "(":
            self._advance()
            event = self.take_name("an event type in first(<Event>.<attr>)")
            self.take(".")
            attribute = self.take_name("an attribute in first(<Event>.<attr>)")
            self.take(")")
            return First(event, attribute)
        if self.token.text == ".":
            self._advance()
            return Attribute(name, self.take_name("an attribute after '.'"))
        return Name(name)

    def test(self, ref: Ref) -> Condition:
        token = self.token
        if token.kind == "op":
            self._advance()
            operand = self.operand()
            return self._comparison(ref, token, operand)
        if token.kind != "name":
            raise self.fail("expected an operator (==, in, has, in_period, exists, ...)")
        self._advance()
        if token.text in LISTS:
            return Membership(ref, token.text, self.values())
        if token.text == "has":
            return Membership(ref, "has", (self.operand(),))
        if token.text in PERIOD_TESTS:
            return PeriodTest(ref, token.text)
        if token.text in ("exists", "missing"):
            return Presence(ref, token.text == "exists")
        raise self.fail("expected an operator (==, in, has, in_period, exists, ...)", token)

    def _comparison(self, ref: Ref, token: Token, operand: Operand) -> Comparison:
        if isinstance(operand, PeriodEnd) and token.text not in ORDERING:
            raise self.fail("period_end can only be compared with <, <=, >= or >", token)
        if token.text in ORDERING and isinstance(operand, Code | Flag):
            raise self.fail(f"{token.text} needs a number, a {{parameter}} or period_end", token)
        return Comparison(ref, token.text, operand)

    # values := '[' operand {',' operand} ']'
    def values(self) -> tuple[Operand, ...]:
        self.take("[")
        found = [self.operand()]
        while self.token.text == ",":
            self._advance()
            found.append(self.operand())
        if self.token.text != "]":
            raise self.fail("expected ',' or ']' in the list")
        self._advance()
        return tuple(found)

    # operand := NAME | NUMBER | '{' name '}'
    def operand(self) -> Operand:
        token = self.token
        if token.kind == "number":
            self._advance()
            return Number(float(token.text) if "." in token.text else int(token.text))
        if token.kind == "param":
            self._advance()
            return Parameter(token.text[1:-1])
        if token.kind == "name":
            self._advance()
            return _word(token.text)
        raise self.fail("expected a value (a code, a number, true, false or {parameter})")


def _word(text: str) -> Operand:
    if text in ("true", "false"):
        return Flag(text == "true")
    if text == "period_end":
        return PeriodEnd()
    return Code(text)


def parse_condition(text: str) -> Condition:
    """One line of a `where` list or population."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(str(text), 0, "expected a condition")
    parser = _Parser(text)
    condition = parser.condition()
    parser.finish()
    return condition


def parse_ref(text: str) -> Ref:
    """The value of a `sum:` or `median:` statistic: a ref without a test."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(str(text), 0, "expected a ref")
    parser = _Parser(text)
    ref = parser.ref()
    parser.finish()
    return ref


# --- Working with trees ------------------------------------------------------------------------


def literal(value: Any) -> Operand:
    """A parameter's YAML value as an operand."""
    if isinstance(value, bool):
        return Flag(value)
    if isinstance(value, int | float):
        return Number(value)
    return Code(str(value))


def bind(condition: Condition, values: Mapping[str, Any]) -> Condition:
    """Replaces each `{name}` whose name is in `values`; other parameters stay as they are."""

    def operand(found: Operand) -> Operand:
        if isinstance(found, Parameter) and found.name in values:
            return literal(values[found.name])
        return found

    if isinstance(condition, Comparison):
        return replace(condition, operand=operand(condition.operand))
    if isinstance(condition, Membership):
        return replace(condition, values=tuple(operand(v) for v in condition.values))
    if isinstance(condition, EventExists | AnyOf):
        inner = tuple(bind(c, values) for c in condition.conditions)
        return replace(condition, conditions=inner)
    return condition


def sub_conditions(condition: Condition) -> tuple[Condition, ...]:
    if isinstance(condition, EventExists | AnyOf):
        return condition.conditions
    return ()


def refs_of(condition: Condition) -> Iterator[Ref]:
    """The refs tested by this condition itself (not inside a nested event call)."""
    if isinstance(condition, Comparison | Membership | PeriodTest | Presence):
        yield condition.ref


def operands_of(condition: Condition) -> tuple[Operand, ...]:
    if isinstance(condition, Comparison):
        return (condition.operand,)
    if isinstance(condition, Membership):
        return condition.values
    return ()


def parameters_in(condition: Condition) -> Iterator[str]:
    """Every `{name}` anywhere in the condition."""
    for found in operands_of(condition):
        if isinstance(found, Parameter):
            yield found.name
    for inner in sub_conditions(condition):
        yield from parameters_in(inner)


def ref_parts(ref: Ref) -> Iterator[Ref]:
    """The ref and the refs inside it (days_between's two dates)."""
    yield ref
    if isinstance(ref, DaysBetween):
        yield from ref_parts(ref.start)
        yield from ref_parts(ref.end)
