"""CSV rows of a POS export -> the bodies AIQ's feeds take, every row checked first.

Pure: rows come from ``feed_rows.read_rows``, fields and mappings from ``feed_mapping``, cells
are read by ``feed_cells``. ``FileReader.items`` yields, in file order, an Item (one body, with
the lines it came from) or a Problem (a line number and the reason). The importer sends nothing
while a file has any Problem: a file with a wrong encoding, a missing required column, duplicate
rows or rows for another store is reported whole, before anything leaves the terminal.

- sales: one row per line item, grouped by ``pos_id`` (a sale's lines must be together); a
  refund is a line with a negative quantity, under its own transaction ID;
- members: ``loyalty`` is true only when the file's consent column says yes (AIQ texts a
  double opt-in to such a member); a phone AIQ would store blank refuses the row;
- inventory: ``sku`` or ``productId`` on every row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from budtender_app.domain import feed_cells as cells
from budtender_app.domain.feed_mapping import (
    FIELDS,
    LINE_FIELDS,
    LOCATION,
    SALE_MEMBER_FIELDS,
    VISIT_FIELDS,
    Cell,
    ColumnMapping,
    FeedKind,
    MappingError,
    resolve_header,
)
from budtender_app.domain.feed_rows import Problem, Row, read_rows
from budtender_app.domain.phone import Phone
from budtender_app.domain.settings import same_name

#: Items per call: F3 takes at most 100; F4 (members) the same, to be safe; F1 one sale.
BATCH_SIZE = {FeedKind.SALES: 1, FeedKind.MEMBERS: 100, FeedKind.INVENTORY: 100}


@dataclass(frozen=True, slots=True)
class Context:
    """What rows are checked against: this store's name, its time zone, and now (aware)."""

    store: str
    zone: tzinfo
    now: datetime


@dataclass(frozen=True, slots=True)
class Item:
    """One body for AIQ (a sale, a member, an inventory item) and the lines it came from."""

    first_line: int
    last_line: int
    key: str
    body: dict[str, Any]


def _day(text: str, context: Context) -> str:
    return cells.parse_day(text, today=context.now.astimezone(context.zone).date()).strftime("%m/%d/%Y")


#: How each kind of cell is read (Cell.TEXT is kept as it is, stripped).
_READERS: dict[Cell, Callable[[str, Context], Any]] = {
    Cell.MONEY: lambda t, c: cells.as_json_number(cells.parse_amount(t)),
    Cell.SIGNED_MONEY: lambda t, c: cells.as_json_number(cells.parse_amount(t, signed=True)),
    Cell.NUMBER: lambda t, c: cells.as_json_number(cells.parse_quantity(t)),
    Cell.QUANTITY: lambda t, c: cells.as_json_number(cells.parse_quantity(t, signed=True, nonzero=True)),
    Cell.PHONE: lambda t, c: cells.parse_phone_cell(t),
    Cell.EMAIL: lambda t, c: cells.parse_email(t),
    Cell.DAY: _day,
    Cell.MOMENT: lambda t, c: cells.aiq_time(cells.parse_moment(t, zone=c.zone, now=c.now)),
    Cell.EPOCH: lambda t, c: cells.parse_epoch(t, zone=c.zone, now=c.now),
    Cell.FLAG: lambda t, c: cells.parse_flag(t),
}


@dataclass
class _Sale:
    """The sale being gathered: its lines so far."""

    pos_id: str
    first_line: int
    visit: dict[str, Any]
    member: dict[str, Any]
    lines: list[dict[str, Any]] = field(default_factory=list)
    last_line: int = 0
    bad: bool = False

    def item(self) -> Item:
        body: dict[str, Any] = {"visit": {**self.visit, "visit_details_attributes": self.lines}}
        if self.member:
            body["member"] = self.member
        return Item(self.first_line, self.last_line, self.pos_id, body)


class FileReader:
    """Reads one file of ``kind`` (with ``mapping``, or AIQ's own header names) into Items."""

    def __init__(self, kind: FeedKind, mapping: ColumnMapping | None, context: Context) -> None:
        self.kind = kind
        self._mapping = mapping
        self._context = context
        self._columns: dict[str, int] = {}
        self._headers: list[str] = []
        self._rows_seen: dict[int, int] = {}
        self._keys_seen: dict[str, int] = {}
        self._sale: _Sale | None = None
        #: Per group of fields, those the file has a column for (read for every row: keep it short).
        self._present: dict[int, list[tuple[str, Cell]]] = {}
        #: Data rows read (the header not counted).
        self.rows = 0

    def items(self, raw_lines: Iterable[bytes]) -> Iterator[Item | Problem]:
        """Every Item and Problem of the file, in order (see the module's docstring)."""
        records = read_rows(raw_lines)
        header = self._header(records)
        if isinstance(header, Problem):
            yield header
            return
        for record in records:
            if isinstance(record, Problem):
                self._spoil_sale()
                yield record
                continue
            self.rows += 1
            yield from self._row(record)
        if self._sale is not None and not self._sale.bad:
            yield self._sale.item()
        if self.rows == 0:
            yield Problem(0, "The file has a header but no rows.")

    def _header(self, records: Iterator[Row | Problem]) -> Problem | None:
        first = next(records, None)
        if first is None:
            return Problem(0, "The file is empty.")
        if isinstance(first, Problem):
            return first  # its line (the header's) says enough
        try:
            self._columns = resolve_header(first.cells, self.kind, self._mapping)
        except MappingError as exc:
            return Problem(first.line, str(exc))
        self._headers = [c.strip() for c in first.cells]
        return None

    def _row(self, row: Row) -> Iterator[Item | Problem]:
        if len(row.cells) != len(self._headers):
            self._spoil_sale()
            yield Problem(row.line, f"{len(row.cells)} cells where the header has {len(self._headers)} "
                                    "(a comma or quote out of place?)")
            return
        cells_ = row.cells
        texts = {f: cells_[i].strip() for f, i in self._columns.items()}
        if self.kind is FeedKind.SALES:
            yield from self._sale_row(row.line, texts)
            return
        yield self._repeated(row.line, texts) or self._other_store(row.line, texts) or self._single(row.line, texts)

    def _repeated(self, line: int, texts: dict[str, str]) -> Problem | None:
        digest = hash(tuple(texts.values()))  # the same column order on every row of one file
        first = self._rows_seen.setdefault(digest, line)
        if first != line:
            return Problem(line, f"the same as line {first} (a row exported twice?)")
        return None

    def _other_store(self, line: int, texts: dict[str, str]) -> Problem | None:
        where = texts.get(LOCATION, "")
        if where and not same_name(where, self._context.store):
            return Problem(line, f"a row for another store ({cells.shown(where)}; this is {self._context.store!r})")
        return None

    def _read(self, line: int, texts: dict[str, str], fields: dict[str, Cell]) -> tuple[dict[str, Any], list[str]]:
        """The non-empty cells of ``fields`` read, and the reasons of those that cannot be."""
        values: dict[str, Any] = {}
        reasons: list[str] = []
        present = self._present.get(id(fields))
        if present is None:
            present = self._present[id(fields)] = [(n, k) for n, k in fields.items() if n in self._columns]
        for name, kind in present:
            text = texts[name]
            if not text:
                continue
            if kind is Cell.TEXT:
                values[name] = text
                continue
            try:
                values[name] = _READERS[kind](text, self._context)
            except cells.CellError as exc:
                reasons.append(f"{self._header_of(name)}: {exc}")
        return values, reasons

    def _header_of(self, name: str) -> str:
        return self._headers[self._columns[name]] if name in self._columns else name

    def _single(self, line: int, texts: dict[str, str]) -> Item | Problem:
        values, reasons = self._read(line, texts, FIELDS[self.kind])
        values.pop(LOCATION, None)  # checked, never sent: F2 and F3 have no store field
        if self.kind is FeedKind.INVENTORY:
            key = _inventory_key(values, reasons)
        else:
            key = _member_key(values, reasons)
            values["loyalty"] = values.get("loyalty") is True  # only an explicit yes is consent
        if reasons:
            return Problem(line, "; ".join(reasons))
        first = self._keys_seen.setdefault(key, line)
        if first != line:
            return Problem(line, f"{_shown_key(key)} is already on line {first}")
        return Item(line, line, key, values)

    # -- sales: lines grouped by transaction ----------------------------------------------

    def _sale_row(self, line: int, texts: dict[str, str]) -> Iterator[Item | Problem]:
        pos_id = texts.get("pos_id", "")
        if self._sale is None or pos_id != self._sale.pos_id:
            if self._sale is not None and not self._sale.bad:
                yield self._sale.item()
            self._sale = None
            started = self._keys_seen.setdefault(pos_id, line) if pos_id else line
            if started != line:
                self._sale = _Sale(pos_id, line, {}, {}, bad=True)
                yield Problem(line, f"a line of transaction {cells.shown(pos_id)}, whose lines began on line "
                                    f"{started}: keep a sale's lines together (or was it exported twice?)")
                return
        problem = (self._repeated(line, texts) or self._other_store(line, texts)
                   or self._add_line(line, pos_id, texts))
        if problem is not None:
            if self._sale is None:
                self._sale = _Sale(pos_id, line, {}, {})
            self._sale.bad = True
            yield problem

    def _add_line(self, line: int, pos_id: str, texts: dict[str, str]) -> Problem | None:
        visit, reasons = self._read(line, texts, VISIT_FIELDS)
        member, member_reasons = self._read(line, texts, SALE_MEMBER_FIELDS)
        item, line_reasons = self._read(line, texts, LINE_FIELDS)
        reasons += member_reasons + line_reasons
        for needed in ("pos_id", "transaction_date", "transaction_total", "sku", "quantity"):
            if not texts.get(needed):
                reasons.append(f"{self._header_of(needed)}: missing")
        if reasons:
            return Problem(line, "; ".join(reasons))
        visit.setdefault(LOCATION, self._context.store)
        if self._sale is None:
            self._sale = _Sale(pos_id, line, visit, member)
        elif (visit, member) != (self._sale.visit, self._sale.member):
            return Problem(line, f"transaction {cells.shown(pos_id)} differs from its line {self._sale.first_line} "
                                 f"in {_differing(visit, member, self._sale)}")
        self._sale.lines.append(item)
        self._sale.last_line = line
        return None

    def _spoil_sale(self) -> None:
        if self._sale is not None:
            self._sale.bad = True


def _inventory_key(values: dict[str, Any], reasons: list[str]) -> str:
    if values.get("sku"):
        return f"sku:{values['sku']}"
    if values.get("productId"):
        return f"productId:{values['productId']}"
    reasons.append("missing SKU (and no product ID)")
    return ""


def _member_key(values: dict[str, Any], reasons: list[str]) -> str:
    if values.get("phone_number"):
        return f"phone:{values['phone_number']}"
    if values.get("email"):
        return f"email:{values['email']}"
    if not any("phone" in r or "mail" in r for r in reasons):
        reasons.append("no phone and no e-mail: AIQ cannot tell who this member is")
    return ""


def _shown_key(key: str) -> str:
    kind, _, value = key.partition(":")
    if kind == "phone":
        return f"the phone {Phone(value).masked}"
    return {"sku": "the SKU", "productId": "the product ID", "email": "the e-mail"}[kind] + f" {cells.shown(value)}"


def _differing(visit: dict[str, Any], member: dict[str, Any], sale: _Sale) -> str:
    names = [n for n in VISIT_FIELDS if visit.get(n) != sale.visit.get(n)]
    names += [n for n in SALE_MEMBER_FIELDS if member.get(n) != sale.member.get(n)]
    return ", ".join(names)


def batches(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    """``items`` in lists of at most ``size``, in order."""
    batch: list[Item] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def problems_of(found: Iterable[Item | Problem], keep: int, count: Callable[[Item], None]) -> tuple[list[Problem], int]:
    """The first ``keep`` Problems and how many there are in all; ``count`` sees every Item."""
    kept: list[Problem] = []
    total = 0
    for thing in found:
        if isinstance(thing, Problem):
            total += 1
            if len(kept) < keep:
                kept.append(thing)
        else:
            count(thing)
    return kept, total
