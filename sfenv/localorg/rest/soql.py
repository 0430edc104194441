"""A small SOQL subset: tokenizer, recursive-descent parser and evaluator over in-memory rows.

Grammar (keywords case-insensitive):
    query   := SELECT (COUNT() | item {, item}) FROM name [WHERE cond] [GROUP BY field {, field}]
               [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST] {, ...}] [LIMIT n] [OFFSET n]
    item    := field | (COUNT | COUNT_DISTINCT) ( field ) [alias]
An aggregate query (an aggregate item or GROUP BY) answers AggregateResult rows as Salesforce
does: every plain field grouped, aggregates named by alias or expr0, expr1...
    cond    := term {OR term};  term := factor {AND factor}
    factor  := NOT factor | ( cond ) | field op value | field [NOT] IN ( value {, value} )
    op      := = | != | <> | < | <= | > | >= | LIKE
    value   := 'string' | number | TRUE | FALSE | NULL | 2024-01-31 | 2024-01-31T10:00:00Z
               | TODAY | YESTERDAY | LAST_N_DAYS:n
    field   := name {. name}          (relationship paths like CreatedBy.Name)
Errors raise `SoqlError(code, message)` with Salesforce's codes: MALFORMED_QUERY, INVALID_TYPE,
INVALID_FIELD.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any

from sfenv.localorg.state.dates import parse_sf_datetime


class SoqlError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<op>!=|<>|<=|>=|=|<|>)
  | (?P<punct>[(),.:])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
""", re.VERBOSE)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", '"': '"', "'": "'",
            "\\": "\\", "_": "\\_", "%": "\\%"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{text[pos:pos + 10]}'")
        if m.lastgroup != "ws":
            tokens.append(Token(m.lastgroup or "", m.group(), pos))
        pos = m.end()
    tokens.append(Token("eof", "", len(text)))
    return tokens


@dataclass(frozen=True)
class Literal:
    kind: str          # string | number | boolean | null | date | datetime
    value: Any


@dataclass(frozen=True)
class Compare:
    path: tuple[str, ...]
    op: str
    values: tuple[Literal, ...]   # one value, or the IN list


@dataclass(frozen=True)
class BoolOp:
    op: str            # AND | OR | NOT
    items: tuple


@dataclass
class Query:
    fields: list[tuple[str, ...]]
    count: bool
    sobject: str
    where: Compare | BoolOp | None = None
    order: list[tuple[tuple[str, ...], bool, bool]] = field(default_factory=list)  # path, desc, nulls_last
    limit: int | None = None
    offset: int = 0
    aggregates: list[Aggregate] = field(default_factory=list)
    group_by: list[tuple[str, ...]] = field(default_factory=list)

    @property
    def is_aggregate(self) -> bool:
        return bool(self.aggregates or self.group_by)


@dataclass(frozen=True)
class Aggregate:
    function: str                  # COUNT | COUNT_DISTINCT
    path: tuple[str, ...]
    alias: str | None = None


AGGREGATES = ("COUNT", "COUNT_DISTINCT")
_RESERVED = {"FROM", "WHERE", "GROUP", "ORDER", "LIMIT", "OFFSET", "AND", "OR", "NOT", "BY"}


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self, offset: int = 0) -> Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def next(self) -> Token:
        tok = self.peek()
        self.i += 1
        return tok

    def is_kw(self, *words: str) -> bool:
        tok = self.peek()
        return tok.kind == "name" and tok.text.upper() in words

    def expect_kw(self, word: str) -> None:
        if not self.is_kw(word):
            self.fail()
        self.next()

    def expect(self, text: str) -> None:
        if self.peek().text != text:
            self.fail()
        self.next()

    def fail(self):
        tok = self.peek()
        shown = tok.text or "<EOF>"
        raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{shown}'")

    def parse(self) -> Query:
        self.expect_kw("SELECT")
        count = False
        fields: list[tuple[str, ...]] = []
        if self.is_kw("COUNT") and self.peek(1).text == "(" and self.peek(2).text == ")":
            self.next()
            self.expect("(")
            self.expect(")")
            count = True
        else:
            aggregates: list[Aggregate] = []
            self.item(fields, aggregates)
            while self.peek().text == ",":
                self.next()
                self.item(fields, aggregates)
        self.expect_kw("FROM")
        if self.peek().kind != "name":
            self.fail()
        query = Query(fields, count, self.next().text)
        if not count:
            query.aggregates = aggregates
        if self.is_kw("WHERE"):
            self.next()
            query.where = self.cond()
        if self.is_kw("GROUP"):
            self.next()
            self.expect_kw("BY")
            query.group_by.append(self.path())
            while self.peek().text == ",":
                self.next()
                query.group_by.append(self.path())
        if self.is_kw("ORDER"):
            self.next()
            self.expect_kw("BY")
            while True:
                path, desc, nulls_last = self.path(), False, False
                if self.is_kw("ASC", "DESC"):
                    desc = self.next().text.upper() == "DESC"
                nulls_last = desc
                if self.is_kw("NULLS"):
                    self.next()
                    if not self.is_kw("FIRST", "LAST"):
                        self.fail()
                    nulls_last = self.next().text.upper() == "LAST"
                query.order.append((path, desc, nulls_last))
                if self.peek().text != ",":
                    break
                self.next()
        if self.is_kw("LIMIT"):
            self.next()
            query.limit = self.integer()
        if self.is_kw("OFFSET"):
            self.next()
            query.offset = self.integer()
        if self.peek().kind != "eof":
            self.fail()
        return query

    def item(self, fields: list[tuple[str, ...]], aggregates: list[Aggregate]) -> None:
        """One select item: a field, or an aggregate function of a field with its alias."""
        if self.peek().kind == "name" and self.peek(1).text == "(":
            function = self.next().text.upper()
            if function not in AGGREGATES:
                raise SoqlError("MALFORMED_QUERY", f"the local org does not serve {function}()"
                                                   " (COUNT and COUNT_DISTINCT only)")
            self.expect("(")
            path = self.path()
            self.expect(")")
            alias = None
            if self.peek().kind == "name" and self.peek().text.upper() not in _RESERVED:
                alias = self.next().text
            aggregates.append(Aggregate(function, path, alias))
            return
        fields.append(self.path())

    def integer(self) -> int:
        tok = self.next()
        if tok.kind != "number" or not tok.text.isdigit():
            self.i -= 1
            self.fail()
        return int(tok.text)

    def path(self) -> tuple[str, ...]:
        if self.peek().kind != "name":
            self.fail()
        parts = [self.next().text]
        while self.peek().text == "." and self.peek(1).kind == "name":
            self.next()
            parts.append(self.next().text)
        return tuple(parts)

    def cond(self):
        return self.chain("OR", self.term)

    def term(self):
        return self.chain("AND", self.factor)

    def chain(self, word: str, operand):
        """operand {word operand}: one BoolOp of them all (or the single operand)."""
        items = [operand()]
        while self.is_kw(word):
            self.next()
            items.append(operand())
        return items[0] if len(items) == 1 else BoolOp(word, tuple(items))

    def factor(self):
        if self.is_kw("NOT"):
            self.next()
            return BoolOp("NOT", (self.factor(),))
        if self.peek().text == "(":
            self.next()
            inner = self.cond()
            self.expect(")")
            return inner
        path = self.path()
        if self.is_kw("NOT") and self.peek(1).kind == "name" and self.peek(1).text.upper() == "IN":
            self.next()
            self.next()
            return Compare(path, "NOT IN", self.value_list())
        if self.is_kw("IN"):
            self.next()
            return Compare(path, "IN", self.value_list())
        if self.is_kw("LIKE"):
            self.next()
            return Compare(path, "LIKE", (self.value(),))
        if self.peek().kind != "op":
            self.fail()
        op = self.next().text
        return Compare(path, "!=" if op == "<>" else op, (self.value(),))

    def value_list(self) -> tuple[Literal, ...]:
        self.expect("(")
        values = [self.value()]
        while self.peek().text == ",":
            self.next()
            values.append(self.value())
        self.expect(")")
        return tuple(values)

    def value(self) -> Literal:
        tok = self.next()
        if tok.kind == "string":
            return Literal("string", _unescape(tok.text[1:-1]))
        if tok.kind == "number":
            return Literal("number", float(tok.text))
        if tok.kind == "datetime":
            return Literal("datetime", parse_sf_datetime(tok.text))
        if tok.kind == "date":
            return Literal("date", date.fromisoformat(tok.text))
        if tok.kind == "name":
            word = tok.text.upper()
            if word in ("TRUE", "FALSE"):
                return Literal("boolean", word == "TRUE")
            if word == "NULL":
                return Literal("null", None)
            today = datetime.now(UTC).date()
            if word == "TODAY":
                return Literal("range", (today, today))
            if word == "YESTERDAY":
                return Literal("range", (today - timedelta(days=1),) * 2)
            if word == "LAST_N_DAYS" and self.peek().text == ":":
                self.next()
                return Literal("range", (today - timedelta(days=self.integer()), today))
        self.i -= 1
        self.fail()
        raise AssertionError  # unreachable


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt not in _ESCAPES:
                raise SoqlError("MALFORMED_QUERY", f"invalid escape sequence: \\{nxt}")
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def parse(text: str) -> Query:
    return _Parser(text).parse()


# --- evaluation -------------------------------------------------------------------------------

@dataclass(frozen=True)
class SObject:
    """A queryable table: canonical field names with types, and relationships to other tables
    (`CreatedBy` -> ("User", "CreatedById"))."""

    name: str
    fields: dict[str, str]               # name -> string | boolean | datetime | id | number
    relationships: dict[str, tuple[str, str]] = field(default_factory=dict)

    def field_name(self, name: str) -> str | None:
        return next((f for f in self.fields if f.lower() == name.lower()), None)

    def relationship(self, name: str) -> tuple[str, tuple[str, str]] | None:
        return next(((r, v) for r, v in self.relationships.items() if r.lower() == name.lower()),
                    None)


class Database:
    """Tables of rows (dicts keyed by canonical field names) to run queries on."""

    def __init__(self, schemas: dict[str, SObject], rows: dict[str, list[dict]]) -> None:
        self.schemas = schemas
        self.rows = rows
        self._by_id = {name: {r["Id"]: r for r in table} for name, table in rows.items()}

    def schema(self, name: str) -> SObject:
        found = next((s for k, s in self.schemas.items() if k.lower() == name.lower()), None)
        if found is None:
            raise SoqlError("INVALID_TYPE", (
                f"sObject type '{name}' is not supported. If you are attempting to use a custom "
                "object, be sure to append the '__c' after the entity name. Please reference "
                "your WSDL or the describe call for the appropriate names."))
        return found

    def resolve(self, sobject: SObject, path: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
        """Canonical path and the field's type; INVALID_FIELD for unknown names."""
        canonical: list[str] = []
        current = sobject
        for part in path[:-1]:
            rel = current.relationship(part)
            if rel is None:
                raise SoqlError("INVALID_FIELD", _no_column(".".join(path), current.name))
            canonical.append(rel[0])
            current = self.schema(rel[1][0])
        name = current.field_name(path[-1])
        if name is None:
            raise SoqlError("INVALID_FIELD", _no_column(".".join(path), sobject.name))
        canonical.append(name)
        return tuple(canonical), current.fields[name]

    def value(self, sobject: SObject, row: dict, path: tuple[str, ...]) -> Any:
        current, obj = sobject, row
        for part in path[:-1]:
            target, id_field = current.relationships[part]
            obj = self._by_id.get(target, {}).get(obj.get(id_field) or "")
            if obj is None:
                return None
            current = self.schemas[target]
        return obj.get(path[-1])

    def related(self, sobject: SObject, row: dict, rel: str) -> tuple[SObject, dict | None]:
        target, id_field = sobject.relationships[rel]
        return self.schemas[target], self._by_id.get(target, {}).get(row.get(id_field) or "")

    def run(self, query: Query) -> tuple[SObject, list[tuple[str, ...]], list[dict], int]:
        """(table, canonical field paths, matching rows after ORDER/OFFSET/LIMIT, total).
        An aggregate query is answered by `aggregate`; here it is refused rather than read
        as a plain one."""
        if query.is_aggregate:
            raise SoqlError("MALFORMED_QUERY", "aggregate queries are answered as "
                                               "AggregateResult rows (Database.aggregate)")
        sobject = self.schema(query.sobject)
        paths = [self.resolve(sobject, p)[0] for p in query.fields]
        rows = list(self.rows.get(sobject.name, []))
        if query.where is not None:
            checked = self._check(sobject, query.where)
            rows = [r for r in rows if self._eval(sobject, r, checked)]
        for path, desc, nulls_last in reversed(query.order):
            canonical, _ = self.resolve(sobject, path)
            present = [r for r in rows if self.value(sobject, r, canonical) is not None]
            absent = [r for r in rows if self.value(sobject, r, canonical) is None]
            present.sort(key=lambda r, c=canonical: _sort_key(self.value(sobject, r, c)),
                         reverse=desc)
            rows = present + absent if nulls_last else absent + present
        total = len(rows)
        rows = rows[query.offset:]
        if query.limit is not None:
            rows = rows[:query.limit]
        return sobject, paths, rows, total

    def aggregate(self, query: Query) -> list[dict[str, Any]]:
        """AggregateResult rows of an aggregate query (one per group; one row without GROUP
        BY), with Salesforce's checks: each plain field grouped, each ordered field grouped,
        no long text area aggregated or grouped."""
        sobject = self.schema(query.sobject)
        grouped = []
        for path in query.group_by:
            canonical, ftype = self.resolve(sobject, path)
            if ftype == "textarea":
                raise SoqlError("INVALID_FIELD", f"field '{canonical[-1]}' can not be grouped "
                                                 "in a query call")
            grouped.append(canonical)
        for path in query.fields:
            if self.resolve(sobject, path)[0] not in grouped:
                raise SoqlError("MALFORMED_QUERY",
                                f"Field must be grouped or aggregated: {'.'.join(path)}")
        for path, _desc, _nulls in query.order:
            if self.resolve(sobject, path)[0] not in grouped:
                raise SoqlError("MALFORMED_QUERY",
                                f"Ordered field must be grouped or aggregated: {'.'.join(path)}")
        measured = []
        for agg in query.aggregates:
            canonical, ftype = self.resolve(sobject, agg.path)
            if ftype == "textarea":
                raise SoqlError("INVALID_FIELD", f"field {canonical[-1]} does not support "
                                                 f"aggregate operator {agg.function}")
            measured.append((agg, canonical))
        rows = list(self.rows.get(sobject.name, []))
        if query.where is not None:
            checked = self._check(sobject, query.where)
            rows = [r for r in rows if self._eval(sobject, r, checked)]
        groups: dict[tuple, list[dict]] = {}
        for row in rows:   # one pass: rows land in their group by key
            key = tuple(_group_key(self.value(sobject, row, g)) for g in grouped)
            groups.setdefault(key, []).append(row)
        if not grouped:
            groups = {(): rows}
        out = []
        names: list[str] = []
        for agg, _ in measured:   # unaliased aggregates are expr0, expr1... in select order
            names.append(agg.alias or f"expr{sum(1 for n in names if n.startswith('expr'))}")
        for members in groups.values():
            first = members[0] if members else {}
            result: dict[str, Any] = {"attributes": {"type": "AggregateResult"}}
            for g in grouped:
                result[g[-1]] = self.value(sobject, first, g) if members else None
            for name, (agg, canonical) in zip(names, measured, strict=True):
                values = [self.value(sobject, r, canonical) for r in members]
                present = [v for v in values if v is not None]
                figure = len(set(map(_group_key, present))) if agg.function == "COUNT_DISTINCT" \
                    else len(present)
                result[name] = figure
            out.append(result)
        for path, desc, nulls_last in reversed(query.order):
            name = self.resolve(sobject, path)[0][-1]
            present = [r for r in out if r.get(name) is not None]
            absent = [r for r in out if r.get(name) is None]
            present.sort(key=partial(_sort_by, name), reverse=desc)
            out = present + absent if nulls_last else absent + present
        out = out[query.offset:]
        return out[:query.limit] if query.limit is not None else out

    def _check(self, sobject: SObject, node):
        """Resolve field names and type-check literals once, before filtering."""
        if isinstance(node, BoolOp):
            return BoolOp(node.op, tuple(self._check(sobject, n) for n in node.items))
        canonical, ftype = self.resolve(sobject, node.path)
        if ftype == "textarea":  # localorg hook: long text areas cannot be filtered
            raise SoqlError("INVALID_FIELD", f"field '{canonical[-1]}' can not be filtered "
                                             "in a query call")
        for lit in node.values:
            _check_literal(".".join(canonical), ftype, lit, node.op)
        return Compare(canonical, node.op, node.values)

    def _eval(self, sobject: SObject, row: dict, node) -> bool:
        if isinstance(node, BoolOp):
            if node.op == "AND":
                return all(self._eval(sobject, row, n) for n in node.items)
            if node.op == "OR":
                return any(self._eval(sobject, row, n) for n in node.items)
            return not self._eval(sobject, row, node.items[0])
        value = self.value(sobject, row, node.path)
        if node.op in ("IN", "NOT IN"):
            hit = any(_compare(value, "=", lit) for lit in node.values)
            return hit if node.op == "IN" else not hit
        return _compare(value, node.op, node.values[0])


def _sort_by(name: str, row: dict[str, Any]) -> Any:
    return _sort_key(row[name])


def _group_key(value: Any) -> Any:
    """Ids group by their first 15 characters and text case-insensitively, as in Salesforce."""
    if isinstance(value, str):
        return value[:15] if len(value) == 18 and value.isalnum() else value.lower()
    return value


def _no_column(name: str, entity: str) -> str:
    return (f"No such column '{name}' on entity '{entity}'. If you are attempting to use a custom "
            "field, be sure to append the '__c' after the custom field name. Please reference "
            "your WSDL or the describe call for the appropriate names.")


def _check_literal(name: str, ftype: str, lit: Literal, op: str) -> None:
    if lit.kind == "null":
        return
    ok = {
        "string": ("string",), "id": ("string",), "boolean": ("boolean",),
        "number": ("number",), "datetime": ("datetime", "date", "range"),
        "date": ("date", "range"),
    }.get(ftype, ("string",))
    if lit.kind not in ok:
        if ftype == "datetime" and lit.kind == "string":
            why = "must be of type dateTime and should not be enclosed in quotes"
        elif ftype == "boolean":
            why = "must be of type boolean and should not be enclosed in quotes"
        else:
            why = f"must be of type {ftype}"
        raise SoqlError("INVALID_FIELD", f"value of filter criterion for field '{name}' {why}")
    if op == "LIKE" and ftype not in ("string", "id"):
        raise SoqlError("INVALID_FIELD", f"invalid operator on field '{name}': LIKE")


def _sort_key(value: Any) -> Any:
    if isinstance(value, str):
        return value.lower()
    return value


def _like(value: str, pattern: str) -> bool:
    regex, i = "", 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            regex += re.escape(pattern[i + 1])
            i += 2
            continue
        regex += ".*" if ch == "%" else "." if ch == "_" else re.escape(ch)
        i += 1
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL) is not None


def _compare(value: Any, op: str, lit: Literal) -> bool:
    if lit.kind == "null":
        return (value is None) == (op == "=") if op in ("=", "!=") else False
    if value is None:
        return op == "!="
    if lit.kind in ("date", "datetime", "range"):
        when = parse_sf_datetime(value)
        if lit.kind == "datetime":
            lo = hi = lit.value
            hi_excl = lit.value + timedelta(microseconds=1)
        else:
            first, last = (lit.value, lit.value) if lit.kind == "date" else lit.value
            lo = datetime.combine(first, time(), UTC)
            hi_excl = datetime.combine(last + timedelta(days=1), time(), UTC)
            hi = hi_excl
        if op == "=":
            return lo <= when < hi_excl
        if op == "!=":
            return not lo <= when < hi_excl
        if op == "<":
            return when < lo
        if op == "<=":
            return when < hi_excl
        if op == ">":
            return when >= hi_excl if lit.kind != "datetime" else when > hi
        if op == ">=":
            return when >= lo
        return False
    if op == "LIKE":
        return _like(str(value), str(lit.value))
    left, right = value, lit.value
    if lit.kind == "string":
        left, right = str(left).lower(), str(right).lower()   # SOQL compares text case-insensitively
    elif lit.kind == "number":
        left = float(left)
    return {"=": left == right, "!=": left != right, "<": left < right, "<=": left <= right,
            ">": left > right, ">=": left >= right}[op]
