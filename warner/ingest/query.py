"""The boolean query language of a brand's ``query`` field.

Grammar (operators are upper case; ``and``/``or``/``not`` in lower case are ordinary words)::

    query  := or
    or     := and ("OR" and)*
    and    := not ("AND" not)*
    not    := "NOT" not | atom
    atom   := "(" or ")" | '"' phrase '"' | word

So NOT binds tighter than AND, and AND tighter than OR: ``a OR b AND NOT c`` is
``a OR (b AND (NOT c))``. There is no implicit AND: two terms side by side
(``Kesselberg Bier``) are an error, because people who write that usually mean the phrase
``"Kesselberg Bier"`` — the error says so. A word is any run of characters other than
space, parentheses and ``"``; a word or phrase is matched like an alias (folded, whole
words, hyphens are word boundaries), ``#tag`` like a hashtag and ``@name`` like a handle.

A query must need at least one of its terms to be present: ``NOT Tunnel`` on its own
would match nearly every text and is refused.

This module knows nothing of matching: it turns text into a small tree (``Term``, ``Not``,
``AllOf``, ``AnyOf``) or raises ``QueryError`` with the 1-based character position of the problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

OPERATORS = ("AND", "OR", "NOT")


class QueryError(ValueError):
    """A query that cannot be parsed; ``position`` is 1-based, counted in characters."""

    def __init__(self, message: str, position: int, query: str) -> None:
        self.position = position
        super().__init__(f"{message} at position {position}: {_excerpt(query, position)}")


@dataclass(frozen=True, slots=True)
class Term:
    text: str  # as written, without the quotes


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


@dataclass(frozen=True, slots=True)
class AllOf:
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    operands: tuple[Node, ...]


Node = Term | Not | AllOf | AnyOf

_TOKEN = re.compile(r'\s*(?:(?P<paren>[()])|"(?P<phrase>[^"]*)"|(?P<open>")|(?P<word>[^\s()"]+))')


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(", ")", "AND", "OR", "NOT", "term"
    text: str
    position: int  # 1-based


def _tokens(query: str) -> list[_Token]:
    out: list[_Token] = []
    at = 0
    while at < len(query):
        m = _TOKEN.match(query, at)
        if m is None:  # only trailing whitespace is left
            break
        start = m.start(m.lastgroup or 0) + 1
        if m.lastgroup == "open":
            raise QueryError('unterminated quote "', start, query)
        if m.lastgroup == "paren":
            out.append(_Token(m["paren"], m["paren"], start))
        elif m.lastgroup == "phrase":
            out.append(_Token("term", m["phrase"], start - 1))
        else:
            word = m["word"]
            out.append(_Token(word if word in OPERATORS else "term", word, start))
        at = m.end()
    return out


def parse(query: str, *, has_words: Callable[[str], bool] = lambda text: bool(re.search(r"\w", text))) -> Node:
    """Parse ``query`` into a tree; raise ``QueryError`` naming the position of the first problem.

    ``has_words`` decides whether a term can ever match (the matcher passes its own test,
    after folding); terms without letters or digits are refused."""
    parser = _Parser(query, _tokens(query), has_words)
    if not parser.tokens:
        raise QueryError("empty query", 1, query)
    node = parser.parse_or()
    if parser.at < len(parser.tokens):
        token = parser.tokens[parser.at]
        if token.kind == ")":
            raise QueryError("unexpected )", token.position, query)
        hint = " (operators are upper case)" if token.text.upper() in OPERATORS else ""
        if token.kind == "term" and hint == "":
            previous = parser.tokens[parser.at - 1]
            if previous.kind == "term":
                hint = f' (quote a phrase: "{previous.text} {token.text}", or join terms with AND)'
        raise QueryError(f"expected AND, OR or ) before {token.text!r}{hint}", token.position, query)
    if evaluate(node, frozenset()):
        raise QueryError("the query matches texts without any of its terms (NOT needs a term beside it)", 1, query)
    return node


def terms(node: Node) -> list[str]:
    """The query's terms in order of appearance (repeats included)."""
    if isinstance(node, Term):
        return [node.text]
    if isinstance(node, Not):
        return terms(node.operand)
    return [t for operand in node.operands for t in terms(operand)]


def evaluate(node: Node, present: frozenset[str] | set[str]) -> bool:
    """Whether the query holds when exactly the terms in ``present`` (as written) occur."""
    if isinstance(node, Term):
        return node.text in present
    if isinstance(node, Not):
        return not evaluate(node.operand, present)
    if isinstance(node, AllOf):
        return all(evaluate(o, present) for o in node.operands)
    return any(evaluate(o, present) for o in node.operands)


class _Parser:
    def __init__(self, query: str, tokens: list[_Token], has_words: Callable[[str], bool]) -> None:
        self.query, self.tokens, self.at, self.has_words = query, tokens, 0, has_words

    def _peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _fail(self, message: str) -> QueryError:
        token = self._peek()
        return QueryError(message, token.position if token else len(self.query) + 1, self.query)

    def parse_or(self) -> Node:
        operands = [self.parse_and()]
        while (token := self._peek()) and token.kind == "OR":
            self.at += 1
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else AnyOf(tuple(operands))

    def parse_and(self) -> Node:
        operands = [self.parse_not()]
        while (token := self._peek()) and token.kind == "AND":
            self.at += 1
            operands.append(self.parse_not())
        return operands[0] if len(operands) == 1 else AllOf(tuple(operands))

    def parse_not(self) -> Node:
        token = self._peek()
        if token and token.kind == "NOT":
            self.at += 1
            return Not(self.parse_not())
        return self.parse_atom()

    def parse_atom(self) -> Node:
        token = self._peek()
        if token is None:
            raise self._fail("expected a term or ( but the query ends")
        if token.kind == "(":
            self.at += 1
            node = self.parse_or()
            closing = self._peek()
            if closing is None or closing.kind != ")":
                raise QueryError("unclosed (", token.position, self.query)
            self.at += 1
            return node
        if token.kind == "term":
            if not self.has_words(token.text):
                raise self._fail(f"term {token.text!r} has no letters or digits")
            self.at += 1
            return Term(token.text)
        raise self._fail(f"expected a term or ( before {token.text!r}")


def _excerpt(query: str, position: int, width: int = 30) -> str:
    start = max(0, position - 1 - width)
    before = ("…" if start else "") + query[start : position - 1]
    return f"{before}▸{query[position - 1 : position - 1 + width]}"
