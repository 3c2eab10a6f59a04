"""In-process stand-ins for the AIQ client, for unit tests only (the real one is tested over HTTP
against the simulator on 127.0.0.1)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from budtender_app.domain import errors
from budtender_app.domain.clock import Clock
from budtender_app.domain.phone import Phone
from budtender_app.domain.wallet import Wallet, parse_wallet

NOW = datetime(2026, 11, 22, tzinfo=UTC)
#: The app has one clock: the view model and the journal read the same one.
CLOCK = Clock.fixed(NOW)
URL = "https://lab.alpineiq.com/api/v1.1/discount/redeem/1234/{}/tok"
PIN = "1234"


def demo_wallet(points: int = 1000, hide: bool = False) -> Wallet:
    """$5 (100 points), $10 (200) and $100 (900) off, and one template AIQ garbled."""
    return parse_wallet({"loyaltyPoints": points, "hidePointsInWallet": hide, "discountTemplates": [
        {"id": "a", "name": "$5 off", "redemptionURL": URL.format("a"), "pointsDeduction": 100, "dollarValue": 5},
        {"id": "b", "name": "$10 off", "redemptionURL": URL.format("b"), "pointsDeduction": 200, "dollarValue": 10},
        {"id": "big", "name": "$100 off", "redemptionURL": URL.format("big"), "pointsDeduction": 900,
         "dollarValue": 100},
        "garbage",
    ]}, base_url="https://lab.alpineiq.com")


class FakeAiq:
    """The counter's AIQ: texts a PIN, opens the wallet for PIN 1234, redeems with ``redeem_results``
    in turn (a value to return or an exception to raise; "r-1" once they run out)."""

    def __init__(self, redeem_results: tuple[object, ...] | list[object] = ()) -> None:
        self.calls: list[tuple[object, ...]] = []
        self.redeem_results = list(redeem_results)
        self.verify_gate: asyncio.Event | None = None
        self.wallet = demo_wallet()

    async def verify_wallet(self, phone: Phone) -> None:
        self.calls.append(("verify", phone.digits))
        if self.verify_gate is not None:
            await self.verify_gate.wait()

    async def view_wallet(self, phone: Phone, pin: str) -> Wallet:
        self.calls.append(("view", phone.digits, pin))
        if pin != PIN:
            raise errors.WrongPin("That PIN is wrong or has expired.")
        return self.wallet

    async def redeem(self, url: str, txid: str) -> str:
        self.calls.append(("redeem", url, txid))
        result = self.redeem_results.pop(0) if self.redeem_results else "r-1"
        if isinstance(result, BaseException):
            raise result
        return str(result)

    @property
    def redeems(self) -> list[tuple[object, ...]]:
        return [c for c in self.calls if c[0] == "redeem"]


class ScriptedAiq:
    """The sender's AIQ: answers each call with the next of ``script`` (a value to return or an
    exception to raise); with the script used up, ``then`` (an IndexError when it is None)."""

    def __init__(self, *script: object, then: object = None) -> None:
        self.script = list(script)
        self.then = then
        self.redeems: list[tuple[str, str]] = []
        self.adjusts: list[tuple[str, int, str]] = []

    def _next(self) -> object:
        step = self.script.pop(0) if self.script or self.then is None else self.then
        if isinstance(step, BaseException):
            raise step
        return step

    async def redeem(self, redemption_url: str, transaction_id: str) -> str:
        self.redeems.append((redemption_url, transaction_id))
        return str(self._next())

    async def adjust_points(self, contact_id: str, value: int, note: str) -> None:
        self.adjusts.append((contact_id, value, note))
        self._next()
