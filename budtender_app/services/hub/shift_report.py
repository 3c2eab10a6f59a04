"""The shift report for the whole store (or chain) from the hub: per staff member across every
register, and per register.

Per staff member: the hub's events of the span are streamed from a server-side cursor into the
domain's own ``build_report`` (the same rules as a register's report), each joined in SQL to its
row's facts on the hub (``hub_redemptions``) and to the cashier who checked it out (the staff of
the row's "queued" event). Each register numbers its own rows and events, so the stream gets
store-wide numbers here: events in time order from 1 (a flag's "#12" is the 12th event of this
report), rows one number per (register, row).

Per register: aggregated in SQL, by the same counting rules (each row once per kind, a manager's
"resolved" counting as redeemed when it left the row redeemed, ...), one line per register.

What the hub does not hold: AIQ's contact id (never pushed), so repeat shoppers are told apart by
their masked phone; a row's fixed dollar value only as its text ("$5.00 off"), read back here; the
consent records (each register keeps its own), so sign-ups are not counted store-wide.
"""

from __future__ import annotations

import csv
import dataclasses
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import psycopg

from budtender_app.domain.actor import Actor
from budtender_app.domain.shift_report import (
    DEFAULT_HOURS,
    Figures,
    OpeningHours,
    ReportEvent,
    ShiftReport,
    Span,
    build_report,
)
from budtender_app.domain.shift_text import COLUMNS, figure_cells, figures_table, report_text
from budtender_app.services.hub.config import unhurried
from budtender_app.services.hub.schema import require_current
from budtender_app.services.journal.audit import utc_text
from budtender_app.services.journal.export import atomic_text, spreadsheet_safe
from budtender_app.services.shift_report import csv_rows

FETCH = 2000
SIGN_UPS_NOTE = "Sign-ups are kept on each register (its consent record), not on the hub: not counted here."
_DOLLARS = re.compile(r"^\$([0-9,]+(?:\.[0-9]+)?) off$")
_PERCENT = re.compile(r"^([0-9]+(?:\.[0-9]+)?)% off$")

_SPAN = "e.at >= %(start)s AND e.at < %(end)s AND (%(store)s::text IS NULL OR e.store = %(store)s)"
_EVENTS = f"""
WITH span AS (SELECT e.* FROM hub_events e WHERE {_SPAN}),
cashiers AS (
    SELECT DISTINCT ON (q.terminal_id, q.entry_id) q.terminal_id, q.entry_id, q.staff_id, q.staff_name
    FROM hub_events q
    WHERE q.event = 'queued' AND (q.terminal_id, q.entry_id) IN (SELECT terminal_id, entry_id FROM span)
    ORDER BY q.terminal_id, q.entry_id, q.seq)
SELECT e.terminal_id, e.at, e.event, e.state, e.staff_id, e.staff_name, e.approver_id, e.approver_name,
       e.entry_id, e.transaction_id, e.discount_id, e.discount_name, e.points, t.name,
       c.staff_id, coalesce(c.staff_name, r.staff_name), r.value_text, r.shopper_masked, r.aiq_redemption_id
FROM span e JOIN hub_terminals t ON t.terminal_id = e.terminal_id
LEFT JOIN cashiers c ON c.terminal_id = e.terminal_id AND c.entry_id = e.entry_id AND e.entry_id <> 0
LEFT JOIN hub_redemptions r ON r.terminal_id = e.terminal_id AND r.entry_id = e.entry_id AND e.entry_id <> 0
ORDER BY e.at, t.name, e.terminal_id, e.seq"""

#: Per register, in SQL: each (row, kind) once, its first event (as ``build_report`` counts).
_REGISTERS = f"""
WITH kinds AS (
    SELECT DISTINCT ON (e.terminal_id, k.kind, CASE WHEN e.entry_id = 0 THEN -e.seq ELSE e.entry_id END)
           e.terminal_id, e.entry_id, e.state, e.points, e.transaction_id, k.kind
    FROM hub_events e
    CROSS JOIN LATERAL (SELECT CASE WHEN e.event = 'redeemed' OR (e.event = 'resolved' AND e.state = 'redeemed')
                                    THEN 'redeemed' ELSE e.event END AS kind) k
    WHERE {_SPAN}
    ORDER BY e.terminal_id, k.kind, CASE WHEN e.entry_id = 0 THEN -e.seq ELSE e.entry_id END, e.seq)
SELECT t.name,
    count(*) FILTER (WHERE kind = 'redeemed'),
    coalesce(sum(k.points) FILTER (WHERE kind = 'redeemed'), 0),
    coalesce(sum(v.dollars) FILTER (WHERE kind = 'redeemed' AND v.dollars > 0), 0),
    count(*) FILTER (WHERE kind = 'redeemed' AND coalesce(v.dollars, 0) <= 0),
    count(*) FILTER (WHERE kind = 'pin_skipped'),
    count(*) FILTER (WHERE kind = 'reversed' OR kind = 'reversal_resolved' AND k.state = 'reversed'),
    coalesce(sum(k.points) FILTER (WHERE kind = 'reversed' OR kind = 'reversal_resolved' AND k.state = 'reversed'), 0),
    count(*) FILTER (WHERE kind = 'unknown'),
    count(*) FILTER (WHERE kind = 'rejected')
FROM kinds k JOIN hub_terminals t ON t.terminal_id = k.terminal_id
LEFT JOIN hub_redemptions r ON r.terminal_id = k.terminal_id AND r.entry_id = k.entry_id AND k.entry_id <> 0
CROSS JOIN LATERAL (SELECT replace(substring(r.value_text FROM '^\\$([0-9,]+(?:\\.[0-9]+)?) off$'), ',', '')::numeric
                    AS dollars) v
GROUP BY t.name, k.terminal_id ORDER BY t.name, k.terminal_id"""


@dataclass(frozen=True)
class HubShiftReport:
    """The store-wide report (per staff member, with flags and notes) and its per-register lines."""

    report: ShiftReport
    registers: tuple[Figures, ...]
    store: str | None  # None: every store on the hub


def values(value_text: str | None) -> tuple[Decimal | None, Decimal | None]:
    """A row's fixed dollar value and percentage, read back from its text ("$5.00 off", "15% off")."""
    text = value_text or ""
    try:
        if match := _DOLLARS.match(text):
            return Decimal(match.group(1).replace(",", "")), None
        if match := _PERCENT.match(text):
            return None, Decimal(match.group(1))
    except InvalidOperation:
        pass
    return None, None


def _params(span: Span, store: str | None) -> dict[str, object]:
    return {"start": utc_text(span.start), "end": utc_text(span.end), "store": store}


def hub_events(conn: psycopg.Connection, span: Span, store: str | None) -> Iterator[ReportEvent]:
    """The span's events of ``store`` (None: all) as the report reads them, streamed, numbered
    store-wide (events in time order; rows one number per register and row)."""
    rows: dict[tuple[str, int], int] = {}
    with conn.transaction(), conn.cursor(name="hub_shift_report") as cursor:
        unhurried(conn)
        cursor.itersize = FETCH
        cursor.execute(_EVENTS, _params(span, store))
        for number, r in enumerate(cursor, 1):
            entry = rows.setdefault((r[0], r[8]), len(rows) + 1) if r[8] else 0
            dollars, percent = values(r[16])
            masked = r[17] or ""
            yield ReportEvent(
                id=number, at=datetime.fromisoformat(r[1]), event=r[2], state=r[3],
                staff=Actor.from_columns(r[4], r[5]) or Actor.unknown, approver=Actor.from_columns(r[6], r[7]),
                cashier=Actor.from_columns(r[14] or "", r[15] or "") or Actor.unknown, entry_id=entry,
                transaction_id=r[9], discount_id=r[10], discount_name=r[11],
                points=r[12], terminal=r[13], dollar_value=dollars, percentage_value=percent,
                value_text=r[16] or "", shopper=masked, shopper_masked=masked, aiq_redemption_id=r[18] or "")


def register_figures(conn: psycopg.Connection, span: Span, store: str | None) -> tuple[Figures, ...]:
    """One line of figures per register (its name as the "staff"), aggregated on the hub."""
    rows = conn.execute(_REGISTERS, _params(span, store)).fetchall()
    conn.commit()
    out = []
    for name, redeemed, points, dollars, no_value, skips, refunds, back, unknown, refused in rows:
        out.append(Figures(Actor("", str(name)), redemptions=redeemed, points=int(points),
                           dollars=Decimal(dollars).quantize(Decimal("0.01")), no_fixed_value=no_value,
                           pin_skips=skips, refunds=refunds, refund_points=int(back), unknown=unknown,
                           refused=refused))
    return tuple(out)


def make_hub_report(conn: psycopg.Connection, span: Span, *, store: str | None,
                    hours: OpeningHours = DEFAULT_HOURS) -> HubShiftReport:
    """The store's (None: the chain's) report of ``span`` from the hub. HubSchemaError, psycopg.Error."""
    require_current(conn)
    conn.commit()
    report = build_report(span, hub_events(conn, span, store), hours=hours)
    where = f"store {store}" if store is not None else "every store on the hub"
    notes = (f"Every register of {where}, from the hub: only what the registers have pushed.",
             SIGN_UPS_NOTE, *report.notes)
    report = dataclasses.replace(report, notes=notes)
    return HubShiftReport(report, register_figures(conn, span, store), store)


def register_total(hub: HubShiftReport) -> Figures:
    """The registers' lines added up (equal to the per-staff total, sign-ups apart)."""
    total = Figures(Actor("", "Total"))
    for figures in hub.registers:
        total.add(figures)
    return total


def hub_report_text(hub: HubShiftReport) -> str:
    """The store-wide report for the command line: per staff member, flags, notes, per register."""
    return "\n".join([report_text(hub.report), "", "Per register:",
                      *figures_table(hub.registers, register_total(hub), heading="Register")])


def write_hub_csv(hub: HubShiftReport, path: str | os.PathLike[str]) -> None:
    """The report as CSV (the register's report's rows, then the per-register table), spreadsheet-safe,
    written whole or not at all; FileExistsError when a file is there (never replaced), OSError."""
    rows = [*csv_rows(hub.report), [], ["Per register"], ["Register", *COLUMNS[1:]],
            *(figure_cells(f) for f in (*hub.registers, register_total(hub)))]
    with atomic_text(Path(path), replace=False) as handle:
        csv.writer(handle, lineterminator="\r\n").writerows([spreadsheet_safe(c) for c in row] for row in rows)
