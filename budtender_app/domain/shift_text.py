"""The shift report as text: a table for the command line, and lines for an 80 mm slip or an A4 page.

The slip cannot hold a table of ten columns, so it (and the A4 page, painted the same way as a
receipt) lists each person as a block: their name, then one figure a line. The header is the
receipt's (``SlipHeader``: store, terminal, date and time of printing) and a training report has
the receipt's TRAINING band at the top and the bottom.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from budtender_app.domain.money import format_money
from budtender_app.domain.receipt import TRAINING_LINE, Receipt, SlipHeader
from budtender_app.domain.shift_check import Check
from budtender_app.domain.shift_flags import Flag
from budtender_app.domain.shift_report import Figures, ShiftReport

#: The table's columns: (heading, what it shows).
COLUMNS = ("Staff", "Redeemed", "Points", "Dollars", "% or no $", "Sign-ups", "PIN skips",
           "Refunds", "Points back", "No answer", "Refused")


def figure_cells(f: Figures) -> list[str]:
    """One row of the table (``COLUMNS``)."""
    return [f.staff.name, str(f.redemptions), f"{f.points:,}", format_money(f.dollars), str(f.no_fixed_value),
            str(f.sign_ups), str(f.pin_skips), str(f.refunds), f"{f.refund_points:,}", str(f.unknown),
            str(f.refused)]


def table_lines(report: ShiftReport) -> list[str]:
    """The per-staff table and the total, aligned for a terminal (names cut at 24 characters)."""
    return figures_table(report.staff, report.total)


def figures_table(lines: Sequence[Figures], total: Figures, heading: str = "Staff") -> list[str]:
    """A table of figures (one person, or one register, a line) and its total, aligned."""
    rows = [[heading, *COLUMNS[1:]], *(figure_cells(f) for f in lines), figure_cells(total)]
    rows = [[row[0][:24], *row[1:]] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]

    def line(row: list[str]) -> str:
        return "  ".join([row[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True))])

    rule = "-" * len(line(rows[0]))
    return [line(rows[0]), rule, *(line(r) for r in rows[1:-1]), rule, line(rows[-1])]


def flag_lines(flags: tuple[object, ...], zone: tzinfo) -> list[str]:
    """Each flag and the events behind it (time, event, transaction, discount, points, who)."""
    lines: list[str] = []
    for flag in flags:
        assert isinstance(flag, Flag)
        lines.append(f"! {flag.text}")
        for e in flag.events:
            local = e.at.astimezone(zone)
            if e.event == "pin_skipped":
                approved = f", approved by {e.approver.name}" if e.approver else ""
                lines.append(f"    #{e.id} {local:%H:%M} PIN skipped by {e.staff.name}{approved}")
                continue
            lines.append(f"    #{e.id} {local:%H:%M} {e.event} tx {e.transaction_id or '-'} "
                         f"{e.discount_name} {e.points:,} pts by {e.cashier.name}")
    return lines


def report_text(report: ShiftReport, check: Check | None = None) -> str:
    """The whole report for the command line: title, table, flags, notes, AIQ's check."""
    lines = [f"Shift report {report.span.title}", "", *table_lines(report), ""]
    lines += (["Unusual:", *flag_lines(report.flags, report.span.zone)] if report.flags
              else ["Nothing unusual."])
    lines += ["", *report.notes]
    if check is not None:
        lines += ["", *check_lines(check, report)]
    return "\n".join(lines)


def check_lines(check: Check, report: ShiftReport) -> list[str]:
    """AIQ's check: the summary, then what is on one side only."""
    lines = [check.summary() + ("." if check.agrees else ":")]
    lines += [f"  only here: #{e.id} {e.at.astimezone(report.span.zone):%H:%M} tx {e.transaction_id} "
              f"{e.discount_name} {e.points:,} pts" for e in check.only_here]
    for r in check.only_aiq:
        when = f"{r.created.astimezone(report.span.zone):%H:%M}" if r.created else "?"
        lines.append(f"  only at AIQ: id {r.id or '?'} {when} tx {r.transaction_id or '-'} "
                     f"discount {r.discount_id or '?'} {r.points if r.points is not None else '?'} pts")
    return lines


def _person_lines(f: Figures) -> list[str]:
    lines = [f.staff.name, f"    Redeemed: {f.redemptions} ({f.points:,} points)",
             f"    Dollar value: {format_money(f.dollars)}"]
    if f.no_fixed_value:
        lines.append(f"    Percent / no fixed value: {f.no_fixed_value}")
    lines += [f"    Sign-ups: {f.sign_ups}", f"    PIN skips: {f.pin_skips}",
              f"    Refunds: {f.refunds} ({f.refund_points:,} points back)",
              f"    No answer: {f.unknown}   Refused: {f.refused}"]
    return lines


def report_slip(report: ShiftReport, header: SlipHeader, check: Check | None = None) -> Receipt:
    """The report on paper (80 mm or A4): the receipt's header and TRAINING band, a block per
    person and the total, then the flags, the notes and AIQ's check."""
    band = [TRAINING_LINE] if header.training else []
    lines = [*band, f"Shift report {report.span.title}", *header.lines(), ""]
    for f in (*report.staff, report.total):
        lines += [*_person_lines(f), ""]
    lines += ["Unusual:", *flag_lines(report.flags, report.span.zone)] if report.flags else ["Nothing unusual."]
    lines += ["", *report.notes]
    if check is not None:
        lines += ["", *check_lines(check, report)]
    return Receipt((*lines, *band))
