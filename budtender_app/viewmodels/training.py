"""The trainer's "Practise a problem…": make the simulated AIQ fail on purpose, then back to normal.

Only training builds it (app.py hands it the simulator's problem switch, ``simulator/faults.py``,
through the narrow ``ProblemSwitch`` below, so view models never import the simulator). A real
store's terminal has no simulator, hence no such view model and no button to open it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


class ProblemSwitch(Protocol):
    """What the simulator offers a trainer: arm one problem, clear it, say which is armed."""

    on_change: Callable[[], None] | None

    @property
    def armed(self) -> str: ...

    def arm(self, case: str) -> None: ...

    def clear(self) -> None: ...


class Problem(StrEnum):
    """The problems a class can practise (the simulator's names for them, simulator/faults.py)."""

    NONE = ""
    UNREACHABLE = "unreachable"
    NO_ANSWER = "no_answer"
    REFUSED = "refused"
    SMS_LOST = "sms_lost"


@dataclass(frozen=True)
class Practice:
    """One choice in the trainer's dialog: what to press, and what the class will see."""

    problem: Problem
    label: str
    explains: str


class TrainingViewModel(QObject):
    """Arms the problem the trainer chose and says which one is armed (the banner shows it)."""

    changed = Signal()  # the armed problem changed (chosen, used up, or back to normal)

    def __init__(self, switch: ProblemSwitch, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._switch = switch
        switch.on_change = self.changed.emit  # a one-time problem used up by the simulator

    @property
    def practices(self) -> tuple[Practice, ...]:
        """The trainer's choices, in the order the dialog shows them."""
        return (
            Practice(Problem.UNREACHABLE, self.tr("AIQ unreachable"), self.tr(
                "Every call fails as if the internet were down, until you choose Back to normal. A "
                "redemption waits on this computer and goes by itself once AIQ is back.")),
            Practice(Problem.NO_ANSWER, self.tr("No answer after sending"), self.tr(
                "The next redemption reaches AIQ but no answer comes back: it is unknown, and a manager "
                "checks it under Redemptions (F11).")),
            Practice(Problem.REFUSED, self.tr("AIQ refuses"), self.tr(
                "AIQ refuses the next redemption; no points are taken.")),
            Practice(Problem.SMS_LOST, self.tr("The PIN text never arrives"), self.tr(
                "The next PIN is sent but the shopper never gets it: practise Resend PIN.")),
        )

    @property
    def armed(self) -> Problem:
        """The problem armed now (Problem.NONE when the simulated AIQ behaves)."""
        return Problem(self._switch.armed)

    def practise(self, problem: str) -> None:
        """Arm ``problem`` (a Problem); it replaces the one armed before."""
        chosen = Problem(problem)
        log.info("training: the trainer made the simulated AIQ fail (%s)", chosen)
        self._switch.arm(str(chosen))

    def back_to_normal(self) -> None:
        """No problem armed: the simulated AIQ answers as it should."""
        log.info("training: the simulated AIQ is back to normal")
        self._switch.clear()

    def status_text(self) -> str:
        """What the training banner says about it ("" when nothing is armed)."""
        armed = self.armed
        if armed is Problem.NONE:
            return ""
        label = next(p.label for p in self.practices if p.problem is armed)
        return self.tr("Practising: {problem}").format(problem=label)
