"""The shift report from this computer's journal and consent record, its CSV, and AIQ's check (E11).

Reading: its own read-only SQLite connection to each file (so it works while the terminal runs,
as `redemptions export` does, and never waits on the journal's lock), one query over the span's
audit events joined to their redemption rows, read row by row from the cursor: a year-old
journal is never loaded whole. Only this store's events count (a journal may hold several store
profiles). The consent record names who signed a shopper up once the attribution branch writes
it there (``staff_id``/``staff_name`` columns); until then sign-ups count without a person.

The CSV is spreadsheet-safe (``export.spreadsheet_safe``), starts with the export's TRAINING line
in training, and never replaces a file that is there (``ReportFileExists``): it is written to a
temporary file, then linked to its name, which fails rather than overwrites.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Protocol

from budtender_app.domain.actor import Actor
from budtender_app.domain.loyalty import AiqRedemption
from budtender_app.domain.sale_feed import FEED_EVENTS
from budtender_app.domain.shift_check import Check, reconcile
from budtender_app.domain.shift_flags import Flag
from budtender_app.domain.shift_report import (
    DEFAULT_HOURS,
    OpeningHours,
    ReportEvent,
    ShiftReport,
    SignUp,
    Span,
    build_report,
)
from budtender_app.domain.shift_text import COLUMNS, figure_cells
from budtender_app.domain.shifts import SIGNED_IN, SIGNED_OUT, Shift, ShiftMark, find_shifts, is_their_event
from budtender_app.services.journal.audit import utc_text
from budtender_app.services.journal.export import TRAINING_TITLE, spreadsheet_safe
from budtender_app.services.journal.files import connect

_EVENTS = (
    "SELECT a.id, a.at, a.event, a.state, a.staff_id, a.staff_name, a.approver_id, a.approver_name, "
    "a.entry_id, a.transaction_id, a.discount_id, a.discount_name, a.points, a.terminal, "
    "r.staff_id, r.staff_name, r.dollar_value, r.percentage_value, r.value_text, r.contact_id, "
    "r.shopper_masked, r.aiq_redemption_id "
    "FROM audit a LEFT JOIN redemptions r ON r.id = a.entry_id AND a.entry_id != 0 "
    "WHERE a.at >= ? AND a.at < ? AND a.store = ? ORDER BY a.id"
)


_MARKS = (
    "SELECT at, event, staff_id, staff_name, terminal, detail FROM audit "
    "WHERE event IN (?, ?) AND at >= ? AND at < ? AND store = ? ORDER BY id"
)


class ReportFileExists(FileExistsError):
    """The CSV's file is already there: a report never replaces a file."""


class ReportApi(Protocol):
    """AIQ's redemption report (AiqClient.redemptions_between, E11)."""

    async def redemptions_between(self, start: int, end: int) -> list[AiqRedemption]: ...


def read_events(journal_path: Path, span: Span, store: str) -> Iterator[ReportEvent]:
    """This store's audit events in ``span``, with their rows' facts, oldest first, one at a time.
    Raises JournalError (no journal, or one that cannot be opened) or sqlite3.Error."""
    conn = connect(Path(journal_path), read_only=True, factory=sqlite3.Connection)
    try:
        for row in conn.execute(_EVENTS, (utc_text(span.start), utc_text(span.end), store)):
            yield _event(row)
    finally:
        conn.close()


def _event(r: tuple) -> ReportEvent:
    contact, masked = r[19] or "", r[20] or ""
    return ReportEvent(
        id=r[0], at=datetime.fromisoformat(r[1]), event=r[2], state=r[3],
        staff=Actor.from_columns(r[4], r[5]) or Actor.unknown, approver=Actor.from_columns(r[6], r[7]),
        cashier=Actor.from_columns(r[14] or "", r[15] or "") or Actor.unknown,
        entry_id=r[8], transaction_id=r[9], discount_id=r[10], discount_name=r[11], points=r[12], terminal=r[13],
        dollar_value=Decimal(r[16]) if r[16] is not None else None,
        percentage_value=Decimal(r[17]) if r[17] is not None else None,
        value_text=r[18] or "", shopper=contact or masked, shopper_masked=masked, aiq_redemption_id=r[21] or "")


def read_sign_ups(consent_path: Path, span: Span) -> Iterator[SignUp]:
    """Sign-ups AIQ confirmed in ``span`` (the consent record's ``sign_ups``), with who recorded
    the consent when the record says. Nothing when there is no consent record. sqlite3.Error when
    it cannot be read."""
    if not Path(consent_path).exists():
        return
    conn = sqlite3.connect(f"{Path(consent_path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(consents)")}
        who = "c.staff_id, c.staff_name" if {"staff_id", "staff_name"} <= columns else "'', ''"
        query = (f"SELECT s.recorded_at, {who}, c.terminal FROM sign_ups s JOIN consents c ON c.id = s.consent_id "
                 "WHERE s.recorded_at >= ? AND s.recorded_at < ? ORDER BY s.id")
        bounds = (span.start.isoformat(timespec="seconds"), span.end.isoformat(timespec="seconds"))
        for at, staff_id, name, terminal in conn.execute(query, bounds):
            yield SignUp(datetime.fromisoformat(at), Actor.from_columns(staff_id or "", name or "") or Actor.unknown,
                         terminal)
    finally:
        conn.close()


def list_shifts(journal_path: Path, day: Span, store: str, now: datetime | None = None) -> list[Shift]:
    """The shifts of ``day`` at this store (``domain/shifts.py``: numbered from 1 as they began;
    ``now`` ends a shift still open today). Raises JournalError or sqlite3.Error like ``read_events``."""
    conn = connect(Path(journal_path), read_only=True, factory=sqlite3.Connection)
    try:
        rows = conn.execute(_MARKS, (SIGNED_IN, SIGNED_OUT, utc_text(day.start), utc_text(day.end), store)).fetchall()
    finally:
        conn.close()
    marks = [ShiftMark(datetime.fromisoformat(at), event, Actor.from_columns(sid, name) or Actor.unknown,
                       terminal, detail) for at, event, sid, name, terminal, detail in rows]
    return find_shifts(marks, day, now)


def make_report(journal_path: Path, span: Span, *, store: str, consents: Path | None = None,
                hours: OpeningHours = DEFAULT_HOURS, shift: Shift | None = None,
                imports: Path | None = None) -> ShiftReport:
    """The report of ``span`` for ``store`` from the journal (and the consent record, when given).
    A consent record that cannot be read leaves sign-ups out, and the report says so. With a
    ``shift`` (``span`` is then ``shift.span(zone)``), only that person's events at its terminal.
    ``imports``: the feed imports' progress file: the span's imports are counted in a note."""
    report = _report(journal_path, span, store=store, consents=consents, hours=hours, shift=shift)
    if imports is None:
        return report
    from budtender_app.services.feeds.import_list import count_imports

    count = count_imports(imports, store, span.start, span.end, who_id=shift.staff.staff_id if shift else None)
    return dataclasses.replace(report, notes=(*report.notes, count.sentence())) if count.any else report


def _report(journal_path: Path, span: Span, *, store: str, consents: Path | None, hours: OpeningHours,
            shift: Shift | None) -> ShiftReport:
    events: Iterable[ReportEvent] = read_events(journal_path, span, store)
    if shift is not None:
        events = _theirs(events, shift)
    sign_ups: list[SignUp] = []
    known = True
    if consents is not None:
        try:
            sign_ups = [s for s in read_sign_ups(consents, span)
                        if shift is None or is_their_event(shift, s.staff, "")]
        except sqlite3.Error:
            known = False
    report = build_report(span, events, sign_ups, hours=hours, sign_ups_known=known)
    if shift is None:
        return report
    only = (f"Only {shift.staff.name}'s events at this terminal in these hours; a check with AIQ covers "
            "every sale AIQ has in them, by anyone.")
    return dataclasses.replace(report, notes=(only, *report.notes))


def _theirs(events: Iterable[ReportEvent], shift: Shift) -> Iterator[ReportEvent]:
    """A shift's events, and the terminal's own sends of the sales that person fed to AIQ."""
    fed: set[str] = set()
    for e in events:
        if is_their_event(shift, e.staff, e.terminal):
            if e.event == "feed_queued":
                fed.add(e.transaction_id)
            yield e
        elif e.event in FEED_EVENTS and e.transaction_id in fed:
            yield e


async def check_with_aiq(api: ReportApi, report: ShiftReport) -> Check:
    """AIQ's redemption report for the report's span (E11), matched to the report's redemptions.
    Raises the client's AiqError when AIQ cannot be asked."""
    rows = await api.redemptions_between(int(report.span.start.timestamp()), int(report.span.end.timestamp()) - 1)
    inside = [r for r in rows if r.created is None or report.span.start <= r.created < report.span.end]
    return reconcile(report.redemptions, inside)


def csv_rows(report: ShiftReport, check: Check | None = None) -> list[list[str]]:
    """The CSV's rows: the title, the per-staff table and total, the flags with their events'
    numbers, the notes, and AIQ's check when there is one."""
    rows: list[list[str]] = [["Shift report", report.span.title, f"from {report.span.start.isoformat()}",
                              f"to {report.span.end.isoformat()}"], list(COLUMNS)]
    rows += [figure_cells(f) for f in (*report.staff, report.total)]
    rows.append([])
    for flag in report.flags:
        assert isinstance(flag, Flag)
        rows.append(["flag", flag.kind.value, flag.text, " ".join(f"#{e.id}" for e in flag.events)])
    rows += [["note", note] for note in report.notes]
    if check is not None:
        rows.append(["AIQ check", check.summary()])
        rows += [["only here", f"#{e.id}", e.transaction_id, e.discount_name, str(e.points)] for e in check.only_here]
        rows += [["only at AIQ", r.id, r.transaction_id, r.discount_id, "" if r.points is None else str(r.points)]
                 for r in check.only_aiq]
    return rows


def write_csv(report: ShiftReport, path: str | os.PathLike[str], *, training: bool = False,
              check: Check | None = None) -> None:
    """The report as a CSV file at ``path``, written whole or not at all; ReportFileExists when a
    file is there (never replaced), OSError when it cannot be written."""
    with _new_file(Path(path)) as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        if training:
            writer.writerow([TRAINING_TITLE])
        writer.writerows([spreadsheet_safe(cell) for cell in row] for row in csv_rows(report, check))


@contextlib.contextmanager
def _new_file(path: Path) -> Iterator[IO[str]]:
    if path.exists() or path.is_symlink():
        raise ReportFileExists(f"{path} is already there: choose another name (a report never replaces a file).")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # fails if the name was taken meanwhile: never a replace
        except FileExistsError:
            raise ReportFileExists(f"{path} is already there: choose another name.") from None
    finally:
        Path(tmp).unlink(missing_ok=True)
