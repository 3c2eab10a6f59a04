"""A store profile saved in Manager settings, used by the running counter without a restart.

When a manager saves (or picks, or removes) a profile, ``settings_saved`` reads what a restart
would use and switches the counter to it at once when that is safe: no sale past its start (no
shopper being verified, nothing applied in the POS), nothing being sent to AIQ. Otherwise the
switch waits and happens as soon as the sale ends (a new sale, a cancel), so the sale in
progress finishes, receipt included, with the store it started with.

The journal keys its rows by store name, and the sender sends only the rows of the store the
journal writes as. So a switch to another store leaves the first store's open redemptions
with it (sent when the counter uses that store again). What is not switched live: another AIQ
account (address or UID) for the *same* store name while that store has open redemptions.
Those were made with the earlier account; sending them, or checking them in F11, with the new
one would use the wrong credentials. The counter keeps the earlier account and says that a
restart is needed once they are dealt with.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from budtender_app.domain.consent import CounterInfo
from budtender_app.domain.flow import Step
from budtender_app.domain.journal_rules import State
from budtender_app.domain.messages import Level
from budtender_app.domain.settings import DEFAULT_IDLE_MINUTES
from budtender_app.domain.transaction_pattern import ANY, TransactionPattern
from budtender_app.services.aiq_client import AiqConfig
from budtender_app.services.journal import Journal
from budtender_app.services.profile_switch import same_account
from budtender_app.viewmodels.operation import MessageLine, Operations

if TYPE_CHECKING:  # built only after the window: app.py's start-up does not wait on it
    from budtender_app.viewmodels.redemption import RedemptionViewModel

log = logging.getLogger(__name__)

WHEN_SALE_ENDS = "The counter switches to the new settings when this sale ends."
WHEN_SENT = "The counter switches to the new settings once the redemption being sent to AIQ has its answer."


@dataclass(frozen=True)
class Target:
    """What the counter uses of a store profile: what a restart would build from it."""

    store: str  # the journal writes as this store (the profile's name)
    location: str  # the status bar's words
    config: AiqConfig
    skip_pin: bool
    counter: CounterInfo  # the store on receipts, slips and consents
    receipt_links: tuple[str, str]  # (wallet, sign-up) QR links
    idle_seconds: int = DEFAULT_IDLE_MINUTES * 60  # with no use, the counter locks after this (sign-in)
    transaction_ids: TransactionPattern = ANY  # the shape of the store's POS transaction IDs (checkout, hand-off)
    send_sales: bool = False  # the store's POS sends AIQ nothing: checkouts feed AIQ's sales (services/sale_feed)


#: What a restart would use now: a Target, or why the running counter cannot use it (a sentence).
ReadTarget = Callable[[], "Target | str"]
#: Moves the AiqClient to a target's config (GUI thread, at once); returns how to close the
#: httpx client it used before, or None when nothing was replaced.
Rebind = Callable[[Target], Callable[[], Awaitable[None]] | None]


class ProfileSwitch(QObject):
    """The counter's current profile, and the switch to a newly saved one."""

    switched = Signal()  # the counter uses ``current`` now: show its store name
    told = Signal(str, str)  # (Level, text) for the counter's message band
    #: Phrases for the settings dialog, after "Saved <store>.".
    now_text = "The counter uses {store} now."

    def __init__(self, current: Target, vm: RedemptionViewModel, journal: Journal, *, read_target: ReadTarget,
                 rebind: Rebind, idle: Sequence[Callable[[], Awaitable[None]]] = (),
                 stores: Callable[[], set[str]] = set, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.current = current
        self.waiting: Target | None = None  # saved during a sale: used when it ends
        self._vm, self._journal = vm, journal
        self._read, self._rebind, self._idle = read_target, rebind, idle
        self._stores = stores  # the store names set up in the settings now
        # Closing the old httpx client: in the background, the counter's view models' way.
        self._ops = Operations(lambda _busy: None, MessageLine(self.told.emit), on_crash=self._crashed)
        vm.step_changed.connect(self._on_vm_step_changed)
        vm.pending_changed.connect(self._on_vm_step_changed)  # a background send has its answer

    def settings_saved(self) -> str:
        """After a save in Manager settings: switch now, or when the sale ends; returns what to
        tell the manager (a sentence, "" when the counter's profile did not change)."""
        target = self._read()
        if isinstance(target, str):
            self.waiting = None
            return target
        if target == self.current:
            self.waiting = None
            return ""
        blocked = self._blocked(target)
        if blocked:
            self.waiting = None
            return blocked
        if self.sale_in_progress():
            self.waiting = target
            log.info("profile switch to %s waits for the sale to end", target.store)
            return self.tr(WHEN_SALE_ENDS if self._vm.step is not Step.CART else WHEN_SENT)
        left = self._left_behind(target)
        self._apply(target)
        return self.tr(self.now_text).format(store=target.store) + left

    def sale_in_progress(self) -> bool:
        """A shopper being verified or verified, a sale applied in the POS, or anything in flight
        or being sent to AIQ (a row marked 'sending')."""
        vm = self._vm
        started = not (vm.step is Step.CART or (vm.step is Step.PHONE and vm.phone is None and vm.wallet is None))
        if started or vm.sale_applied or vm.busy:
            return True
        return any(e.state is State.SENDING for e in self._journal.pending(include_sending=True))

    async def wait_idle(self) -> None:
        """Until every old httpx client is closed (tests; quitting)."""
        await self._ops.wait_idle()

    def _on_vm_step_changed(self, _changed: object) -> None:
        target = self.waiting
        if target is None or self.sale_in_progress():
            return
        self.waiting = None
        blocked = self._blocked(target)  # the sale just ended may have left rows open
        if blocked:
            self._tell(Level.ERROR, blocked)
            return
        left = self._left_behind(target)
        self._apply(target)
        self._tell(Level.INFO, self.tr("The sale has ended: the counter uses the new settings now ({store}).")
                   .format(store=target.store) + left)

    def _blocked(self, target: Target) -> str:
        """Why the target's AIQ account cannot be used live ("" when it can)."""
        if target.store != self.current.store or same_account(target.config, self.current.config):
            return ""
        open_rows = len(self._journal.pending(include_sending=True))
        if not open_rows:
            return ""
        log.info("profile switch to another AIQ account refused: %d open redemptions of %s",
                 open_rows, target.store)
        return self.tr(
            "A restart is needed for the new AIQ address or UID: {rows} of {store} made with the earlier AIQ "
            "account {are} still open, and must not be sent or checked with another account. Until the restart "
            "the counter keeps the earlier account; restart once F11 shows none open.").format(
                rows=_redemptions(open_rows), store=target.store, are="is" if open_rows == 1 else "are")

    def _left_behind(self, target: Target) -> str:
        """What stays with the store the counter leaves ("" when it keeps its store or nothing is open)."""
        if target.store == self.current.store:
            return ""
        open_rows = len(self._journal.pending(include_sending=True))
        if not open_rows:
            return ""
        words = {"rows": _redemptions(open_rows), "old": self.current.store,
                 "stay": "stays" if open_rows == 1 else "stay"}
        if self.current.store not in self._stores():  # renamed or removed: nothing would send them
            return self.tr(" {rows} still open {stay} recorded under {old}, which is no longer set up: set {old} "
                           "up again (F12) and use it to send them or check them in F11.").format(**words)
        return self.tr(" {rows} still open for {old} {stay} with {old}: sent, or shown in F11, when the counter "
                       "uses {old} again.").format(**words)

    def _apply(self, target: Target) -> None:
        """Everything at once, on the GUI thread: no request leaves between two of these."""
        before = self.current
        close = self._rebind(target) if target.config != before.config else None
        self._journal.store = target.store
        self._vm.skip_pin = target.skip_pin
        self._vm.transaction_ids = target.transaction_ids
        self.current = target
        log.info("the counter now uses store %s", target.store)
        self.switched.emit()
        if close is not None:
            self._ops.spawn(self._close(close))

    async def _close(self, close: Callable[[], Awaitable[None]]) -> None:
        for idle in self._idle:  # what was already in flight on the old client ends first
            await idle()
        await close()
        log.info("the previous AIQ connection is closed")

    def _crashed(self, exc: BaseException) -> None:
        log.error("closing the previous AIQ connection failed", exc_info=exc)

    def _tell(self, level: Level, text: str) -> None:
        # After the step's own redraw (which clears the message band), not under it.
        asyncio.get_running_loop().call_soon(self.told.emit, str(level), text)


def _redemptions(n: int) -> str:
    return f"{n} redemption" if n == 1 else f"{n} redemptions"
