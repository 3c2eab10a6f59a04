"""One register as its own process, with no window, for the multi-process hub tests
(tests/e2e/test_hub_registers.py): ``python -m tests.helpers.hub_register --name "Register 1"
--store STORE --base-url AIQ_URL --phone SHOPPER``.

It builds what the terminal builds: ``app.build_services`` (the settings, the API key and the
journal's seal from the OS keyring, the journal in this process's XDG data folder), the counter's
real view model, and ``hub_wiring.start_hub`` (the background push and the checkout's claims, as
the window starts them), then takes commands on stdin, one a line, and answers each with one
JSON line on stdout:

  sale TXID   a whole sale: cart $100, the shopper's phone, PIN 1234, the first usable
              discount, checkout with TXID
  ready TXID  the same up to the checkout step (the transaction ID not typed yet)
  go TXID     type it and press Enter (after ready): the hub's claim, then AIQ
  push        nudge the push once: the state it ends in (unreachable, in sync...)
  sync        nudge the push until the hub holds all of this journal (or 30 s pass)
  quit

The register's name on the hub (in "already redeemed at ...") is its computer's name: each
process here plays a computer of its own, so ``socket.gethostname`` answers ``--name``. IT's
commands on that computer: ``python -m tests.helpers.hub_register --as NAME hub status``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socket
import sys
import time
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import PySide6  # noqa: F401 - before qasync, so it picks PySide6

from budtender_app.domain.clock import Clock
from budtender_app.domain.flow import Step
from budtender_app.domain.messages import Level

TIMEOUT = 30.0


class Register:
    """The services, the view model and the hub link of this process's terminal."""

    def __init__(self, name: str, store: str, base_url: str, phone: str) -> None:
        from budtender_app.app import build_services
        from budtender_app.cli import parse
        from budtender_app.services.logs import RedactingFilter
        from budtender_app.services.paths import folders
        from budtender_app.viewmodels.redemption import RedemptionViewModel

        self.name, self.phone = name, phone
        self.services = build_services(parse(["--store", store, "--base-url", base_url]), folders(),
                                       Clock.system(), RedactingFilter())
        assert not self.services.mode.training, self.services.mode.notice
        self.vm = RedemptionViewModel(self.services.client, self.services.journal, clock=self.services.clock)
        self.states: asyncio.Queue[Any] = asyncio.Queue()
        self.link: Any = None

    def start_hub(self) -> None:
        from budtender_app.hub_wiring import start_hub

        s = self.services
        self.link = start_hub(s.journal.path, s.journal.seal, s.credentials, s.clock.now, training=False,
                              on_state=self.states.put_nowait, checkout=self.vm.till)

    async def ready(self, txid: str) -> dict[str, Any]:
        from budtender_app.viewmodels.operation import until_step

        vm = self.vm
        vm.set_cart_text("100")
        vm.finish_cart_edit()
        vm.start()
        vm.submit_phone(self.phone)
        await until_step(vm, Step.PIN, TIMEOUT)
        vm.submit_pin("1234")
        await until_step(vm, Step.WALLET, TIMEOUT)
        discount = next(o.discount for o in vm.offers if o.usable)
        vm.toggle(discount.id)
        vm.apply_selection()
        vm.start_checkout()
        return {"txid": txid, "step": vm.step.name, "discount": discount.id}

    async def go(self, txid: str) -> dict[str, Any]:
        """Enter on the transaction ID; until the sale is done or the checkout refused."""
        vm, ended = self.vm, asyncio.get_running_loop().create_future()

        def check(*_args: object) -> None:
            refused = vm.step is Step.CHECKOUT and vm.message[0] is Level.ERROR
            if (vm.step is Step.DONE or refused) and not ended.done():
                ended.set_result(None)

        vm.step_changed.connect(check)
        vm.message_changed.connect(check)
        try:
            vm.confirm_checkout(txid)
            check()
            await asyncio.wait_for(ended, TIMEOUT)
            await vm.wait_idle()
        finally:
            vm.step_changed.disconnect(check)
            vm.message_changed.disconnect(check)
        done = {"txid": txid, "step": vm.step.name, "outcomes": [o.status.value for o in vm.outcomes],
                "message": vm.message[1]}
        if vm.step is Step.DONE:
            vm.new_sale()
        else:  # refused at checkout: the cashier gives this shopper's sale up
            vm.abandon()
        return done

    async def sale(self, txid: str) -> dict[str, Any]:
        ready = await self.ready(txid)
        return {**await self.go(txid), "discount": ready["discount"]}

    async def push(self) -> dict[str, Any]:
        """One nudge of the background push, and the state that push ended in."""
        return _state(await self._next_push() if self.link is not None else None)

    async def _next_push(self) -> Any:
        """The state of a push that ends after now (those before are dropped)."""
        while not self.states.empty():
            self.states.get_nowait()
        self.link.pusher.nudge()
        return await asyncio.wait_for(self.states.get(), TIMEOUT)

    async def sync(self) -> dict[str, Any]:
        """Nudge the background push (as a checkout does) until the hub holds this whole journal;
        then the state of a push ended after that (the one that pushed the last events, or later)."""
        if self.link is None:
            return _state(None)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            await self._next_push()
            if await asyncio.to_thread(self._hub_has_all):
                return _state(await self._next_push())
        return _state(self.link.pusher.state)

    def _hub_has_all(self) -> bool:
        import psycopg

        from budtender_app.services.hub.config import HubConfig, HubUnreachable, connect

        args = HubConfig(self.services.credentials).connect_args()
        assert args is not None
        try:
            with connect(args) as conn:
                row = conn.execute("SELECT coalesce(max(seq), 0) FROM hub_events WHERE terminal_id = %s",
                                   (self.services.journal.seal.journal_id,)).fetchone()
        except (HubUnreachable, psycopg.OperationalError):
            return False  # the hub is away: not in sync, and sync says so at its deadline
        return row is not None and int(row[0]) == self.services.journal.audit.last()[0]

    async def close(self) -> None:
        await self.vm.wait_idle()
        if self.link is not None:
            self.link.stop()
        await self.services.http.aclose()
        self.services.close_journals()


def _state(state: Any) -> dict[str, Any]:
    if state is None:
        return {"in_sync": False, "problem": "no hub joined"}
    return {"in_sync": state.in_sync, "waiting": state.waiting, "problem": state.problem, "chain_ok": state.chain_ok,
            "unreachable": state.unreachable_since is not None}


async def serve(args: argparse.Namespace) -> None:
    register = Register(args.name, args.store, args.base_url, args.phone)  # on the loop: Qt is up
    register.start_hub()
    say({"started": register.name})
    while line := await asyncio.to_thread(sys.stdin.readline):
        command, _, arg = line.strip().partition(" ")
        if command == "quit":
            break
        action = {"sale": register.sale, "ready": register.ready, "go": register.go}.get(command)
        plain = {"sync": register.sync, "push": register.push}.get(command)
        say(await action(arg) if action else await plain() if plain else {"unknown": command})
    await register.close()
    say({"quit": register.name})


def say(answer: dict[str, Any]) -> None:
    print(json.dumps(answer), flush=True)


def main() -> int:
    if sys.argv[1:2] == ["--as"]:  # IT's command line on that register's computer
        name, argv = sys.argv[2], sys.argv[3:]
        socket.gethostname = lambda: name
        from budtender_app.cli import main as command

        return command(argv)
    parser = argparse.ArgumentParser()
    for option in ("--name", "--store", "--base-url", "--phone"):
        parser.add_argument(option, required=True)
    args = parser.parse_args()
    socket.gethostname = lambda: args.name  # this process plays its own computer
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    from budtender_app.app import make_event_loop

    with asyncio.Runner(loop_factory=make_event_loop) as runner:
        runner.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
