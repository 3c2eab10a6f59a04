"""What each kind of POS file carries, under AIQ's own field names, and how a file's columns map
onto them (a column mapping, saved per store and chosen by name).

Pure. A file whose header uses AIQ's field names needs no mapping. A mapping says, for some of
AIQ's fields, which column of the POS's export holds it: ``{"sku": "Item Code"}``. No POS's
layout is built in: we have seen none of their exports, so a store writes its own mapping once.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum


class FeedKind(Enum):
    """The three files a POS exports that AIQ's feeds take."""

    SALES = "sales"
    MEMBERS = "members"
    INVENTORY = "inventory"


class Cell(Enum):
    """How a column's cells are read (domain/feed_cells.py)."""

    TEXT = "text"
    MONEY = "money"  # not negative
    SIGNED_MONEY = "signed money"  # a refund's total
    NUMBER = "number"
    QUANTITY = "quantity"  # signed, not 0: a refund is a negative quantity
    PHONE = "phone"
    EMAIL = "email"
    DAY = "day"
    MOMENT = "moment"
    EPOCH = "epoch"
    FLAG = "flag"


#: The store column every kind may carry: checked against this store, sent only with a sale.
LOCATION = "location"

_T, _M = Cell.TEXT, Cell.MONEY
INVENTORY_FIELDS: dict[str, Cell] = {
    "sku": _T, "productId": _T, "category": _T, "parentCategory": _T, "name": _T, "brand": _T, "variant": _T,
    "barcode": _T, "url": _T, "imageUrl": _T, "description": _T, "supplierName": _T, "currency": _T,
    "supplierId": _T, "totalTax": _M, "dateUpdated": Cell.EPOCH, "msrp": _M, "quantity": Cell.NUMBER,
    "thc": Cell.NUMBER, "cbd": Cell.NUMBER, "dateAdded": Cell.EPOCH, "salesPrice": _M, "inStock": Cell.FLAG,
    "isSaleable": Cell.FLAG, "isArchived": Cell.FLAG, LOCATION: _T,
}
MEMBER_FIELDS: dict[str, Cell] = {
    "pos_user": _T, "pos_type": _T, "email": Cell.EMAIL, "first_name": _T, "last_name": _T, "address1": _T,
    "address2": _T, "city": _T, "state": _T, "zip": _T, "birthday": Cell.DAY, "phone_number": Cell.PHONE,
    "gender": _T, "loyalty": Cell.FLAG, LOCATION: _T,
}
#: A sale's own fields: the same on every line of one transaction.
VISIT_FIELDS: dict[str, Cell] = {
    "pos_id": _T, "pos_user": _T, "pos_type": _T, "transaction_date": Cell.MOMENT,
    "transaction_total": Cell.SIGNED_MONEY, LOCATION: _T, "budtenderName": _T, "budtenderID": _T,
}
#: The shopper of a sale (one integrator's ``member`` block).
SALE_MEMBER_FIELDS: dict[str, Cell] = {"mobilePhone": Cell.PHONE, "email": Cell.EMAIL, "firstName": _T,
                                       "lastName": _T}
#: One line item (``visit_details_attributes``).
LINE_FIELDS: dict[str, Cell] = {
    "sku": _T, "price": Cell.SIGNED_MONEY, "quantity": Cell.QUANTITY, "category": _T, "brand": _T, "name": _T,
    "discount": Cell.SIGNED_MONEY, "size": _T, "strain": _T, "grade": _T, "species": _T,
}
SALES_FIELDS: dict[str, Cell] = {**VISIT_FIELDS, **SALE_MEMBER_FIELDS, **LINE_FIELDS}

FIELDS: dict[FeedKind, dict[str, Cell]] = {
    FeedKind.SALES: SALES_FIELDS, FeedKind.MEMBERS: MEMBER_FIELDS, FeedKind.INVENTORY: INVENTORY_FIELDS,
}
#: Columns a file must have (each tuple: at least one of them).
REQUIRED: dict[FeedKind, tuple[tuple[str, ...], ...]] = {
    FeedKind.SALES: (("pos_id",), ("transaction_date",), ("transaction_total",), ("sku",), ("quantity",)),
    FeedKind.MEMBERS: (("phone_number", "email"),),
    FeedKind.INVENTORY: (("sku", "productId"),),
}

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,39}")


class MappingError(ValueError):
    """A mapping that cannot be used; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """For one kind of file: AIQ's field -> the header of the POS column that holds it."""

    name: str
    kind: FeedKind
    columns: Mapping[str, str] = field(default_factory=dict)


def check_mapping(name: str, kind: FeedKind, columns: Mapping[str, str]) -> ColumnMapping:
    """A mapping, checked: a short plain name, known fields, non-empty headers, no header twice."""
    if not _NAME.fullmatch(name.strip()):
        raise MappingError("A mapping's name is 1 to 40 letters, digits, spaces, dots, dashes or underscores.")
    known = FIELDS[kind]
    unknown = sorted(f for f in columns if f not in known)
    if unknown:
        raise MappingError(f"Not fields of a {kind.value} file: {', '.join(unknown)}. "
                           f"Known: {', '.join(known)}.")
    cleaned = {f: h.strip() for f, h in columns.items()}
    if any(not h for h in cleaned.values()):
        raise MappingError("Every mapped field needs the column's header.")
    seen: dict[str, str] = {}
    for f, h in cleaned.items():
        if h.casefold() in seen:
            raise MappingError(f"The column {h!r} is mapped twice ({seen[h.casefold()]} and {f}).")
        seen[h.casefold()] = f
    return ColumnMapping(name.strip(), kind, cleaned)


def resolve_header(header: Iterable[str], kind: FeedKind, mapping: ColumnMapping | None) -> dict[str, int]:
    """AIQ's field -> the index of its column in ``header``. Raises MappingError naming every
    required column that is missing or a header name that is there twice.

    Without a mapping the header must use AIQ's field names (any letter case). With one, its
    columns are looked up by their header (any case); fields it does not map may still come
    under AIQ's own names.
    """
    names = [h.strip().casefold() for h in header]
    where: dict[str, int] = {}
    for index, name in enumerate(names):  # one pass: a header of 100,000 columns is read at once
        where.setdefault(name, index)
    doubled = sorted(n for n, count in Counter(names).items() if n and count > 1)
    if doubled:
        raise MappingError(f"The header has these columns twice: {', '.join(doubled)}.")
    if mapping is not None and mapping.kind is not kind:
        raise MappingError(f"The mapping {mapping.name!r} is for {mapping.kind.value} files, not {kind.value}.")
    wanted = {f: f for f in FIELDS[kind]}
    if mapping is not None:
        claimed = {h.casefold() for h in mapping.columns.values()}
        wanted = {f: h for f, h in wanted.items() if h.casefold() not in claimed}  # a mapped header is taken
        wanted.update(mapping.columns)
    found = {f: where[h.casefold()] for f, h in wanted.items() if h.casefold() in where}
    missing = [" or ".join(repr(wanted[f]) for f in group) for group in REQUIRED[kind]
               if not any(f in found for f in group)]
    if missing:
        how = "" if mapping is not None else " (or choose a column mapping)"
        raise MappingError(f"Missing required column{'s' if len(missing) > 1 else ''}: "
                           f"{', '.join(missing)}{how}.")
    return found
