"""The Shift report's view model, made when the manager's window first asks for it.

``PendingViewModel.shift_report`` is this descriptor: the report's modules (shifts, figures,
checks, flags, its slip; a few dozen dataclasses, ~15 ms to import) are not loaded at the
terminal's start, only when a manager opens the report. Its day is still the store's day when
the terminal started, as when it was made at start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from budtender_app.viewmodels.shift_report import ShiftReportViewModel


class LazyShiftReport:
    """A ShiftReportViewModel per PendingViewModel, made at its first read."""

    def __get__(self, pending: Any, owner: type | None = None) -> ShiftReportViewModel:
        made: ShiftReportViewModel | None = pending.__dict__.get("_shift_report")
        if made is None:
            from budtender_app.viewmodels.shift_report import ShiftReportViewModel

            made = ShiftReportViewModel(pending._journal, pending._api, pending._clock, training=pending.training,
                                        parent=pending, approving=pending.approving)
            made.day = pending._report_day
            pending.__dict__["_shift_report"] = made
        return made
