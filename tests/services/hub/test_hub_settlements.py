"""Issue 15's store-wide Redemptions window against a real hub: Register 2's manager sees both
registers' open redemptions, checks one of Register 1's against AIQ's report, and settles it; the
settlement is carried out by Register 1 (its own journal and sender, with the redemption URL only
it holds), exactly once even when Register 1 stops between acting and telling the hub.

Two terminals are two data folders, two journals and two pushers, in this process (the separate
processes are tests/cli/test_hub_cli.py's business); AIQ is the simulator over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
import pytest_asyncio

from budtender_app.domain.actor import Actor
from budtender_app.domain.clock import Clock
from budtender_app.domain.phone import parse_phone
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.hub import claims, pusher, schema
from budtender_app.services.hub.carry_out import HubSettler, marker
from budtender_app.services.hub.config import parse_hub_url
from budtender_app.services.hub.desk import HubDesk
from budtender_app.services.hub.push import Terminal
from budtender_app.services.hub.pusher import HubPusher
from budtender_app.services.journal import Journal, JournalLock, State
from budtender_app.services.redemption_sender import RedemptionSender
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID
from budtender_app.viewmodels.pending import PendingViewModel
from budtender_app.viewmodels.pending_words import Action
from budtender_app.viewmodels.store_redemptions import StoreWideViewModel
from tests.helpers import no_sleep

STORE_KEY = b"the store's staff lookup key, as IT carries it to every till"

pytestmark = [pytest.mark.hub, pytest.mark.logs_expected(r"push to the store hub failed: RuntimeError",
                                                            r"claim conflict: transaction POS-3000",
                                                            r"manager action refused: no manager approved it")]

CLOCK = Clock.system()
CASHIER = Actor("c-1", "Dana Cashier")
CLERK_2 = Actor("c-2", "Casey at Register 2")
MANAGER = Actor("m-9", "Morgan Manager")
STORE = "Main St"
TEN_OFF, FIVE_OFF = "102", "101"
REDEEM_PATH = "/api/v1.1/discount/redeem"


@pytest_asyncio.fixture
async def api(server):
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as http:
        yield AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID))


@pytest.fixture
def args(hub_db):
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        schema.migrate(conn)
    return parse_hub_url(hub_db.url).connect_args(hub_db.password)


@dataclass
class Register:
    """One terminal: its own data folder, writable journal, read-only pusher journal and pusher."""

    name: str
    path: Path
    journal: Journal
    pusher: HubPusher
    reader: Journal

    @property
    def id(self) -> str:
        return self.pusher._terminal.id

    def stop(self) -> None:
        self.reader.close()
        self.journal.close()


def start(name: str, folder: Path, args, api) -> Register:
    """Start (or restart) the register whose data folder is ``folder``."""
    folder.mkdir(exist_ok=True)
    path = folder / "journal.sqlite3"
    journal = Journal(path, store=STORE, terminal=name, lock=JournalLock(path).acquire(), clock=CLOCK)
    reader = Journal.open_read_only(path)
    settler = HubSettler(journal, RedemptionSender(api, journal, sleep=no_sleep), key=STORE_KEY)
    return Register(name, path, journal, HubPusher(Terminal(reader, name), args, now=CLOCK.now, settler=settler),
                    reader)


async def unknown_sale(register: Register, api, txid: str, discount_id: str = TEN_OFF, *, reached: bool = False):
    """A checkout whose answer was lost: 'unknown' (``reached``: the PUT did get to AIQ)."""
    wallet = await api.wallet(parse_phone(DEMO_PHONE))
    discount = next(d for d in wallet.discounts if d.id == discount_id)
    [entry] = register.journal.queue(txid, [discount], staff=CASHIER, shopper_masked="***-***-4567",
                                     contact_id=wallet.contact_id)
    register.journal.mark_sending(entry.id)
    if reached:
        await api.redeem(entry.redemption_url, txid)
    return register.journal.mark_unknown(entry.id, "AIQ did not answer in time.")


def window(register: Register, args, api, *, approving=lambda: MANAGER) -> StoreWideViewModel:
    desk = HubDesk(args, terminal_id=register.id, terminal_name=register.name, key=STORE_KEY)
    return StoreWideViewModel(desk, api, lambda: STORE, CLOCK, acting=lambda: CLERK_2, approving=approving)


def puts(server):
    return [r for r in server.simulator.requests if r.method == "PUT" and r.path.startswith(REDEEM_PATH)]


def hub_rows(args, sql: str, *params):
    with psycopg.connect(**args) as conn:
        return conn.execute(sql, params).fetchall()


def row_of(vm: StoreWideViewModel, register: Register, txid: str):
    return next(r for r in vm.rows if r.terminal_id == register.id and r.transaction_id == txid)


@pytest.mark.asyncio
async def test_a_retry_decided_at_register_2_is_sent_once_by_register_1_across_a_crash(
        server, api, args, tmp_path, monkeypatch):
    one = start("Register 1", tmp_path / "one", args, api)
    two = start("Register 2", tmp_path / "two", args, api)
    entry = await unknown_sale(one, api, "POS-1001")
    await unknown_sale(two, api, "POS-2001", FIVE_OFF)
    for register in (one, two):
        assert (await register.pusher.push_once()).in_sync
    vm = window(two, args, api)
    await vm.refresh()
    assert {(r.register, r.transaction_id) for r in vm.rows} == {("Register 1", "POS-1001"),
                                                                ("Register 2", "POS-2001")}
    theirs, mine = row_of(vm, one, "POS-1001"), row_of(vm, two, "POS-2001")
    assert vm.allowed_actions(mine) == frozenset() and "decide under Pending" in vm.state_text(mine)
    await vm.check_with_aiq(vm.key(theirs))
    assert vm.checks[vm.key(theirs)][0] == "absent", "the PUT never reached AIQ: its report shows nothing"

    await vm.decide(vm.key(theirs), Action.RETRY, "AIQ's report does not show it")
    assert "Waiting for Register 1" in vm.message[1]
    assert "waiting for Register 1: send again" in vm.state_text(row_of(vm, one, "POS-1001"))
    assert not puts(server), "Register 2 sends nothing: only Register 1 holds the redemption URL"
    await two.pusher.push_once()
    assert one.journal.get(entry.id).state is State.UNKNOWN, "not Register 2's pusher's business"

    def crash(*_a, **_k):
        raise RuntimeError("the till lost power")
    monkeypatch.setattr(pusher, "mark_done", crash)
    await one.pusher.push_once()  # acts (sends), then stops before telling the hub
    assert one.journal.get(entry.id).state is State.REDEEMED and len(puts(server)) == 1
    assert hub_rows(args, "SELECT done_at FROM hub_settlements") == [(None,)]
    one.stop()
    monkeypatch.undo()

    one = start("Register 1", tmp_path / "one", args, api)  # the restart
    assert (await one.pusher.push_once()).in_sync
    assert len(puts(server)) == 1, "carried out once: the restart found it done and only said so"
    [(outcome, text)] = hub_rows(args, "SELECT outcome, outcome_text FROM hub_settlements")
    assert outcome == "done" and "stopped before" in text
    decided = [r for r in one.journal.audit.rows() if marker(hub_rows(args, "SELECT ref FROM hub_settlements")[0][0])
               in r.detail]
    assert [(r.event, r.staff_name, r.approver_name) for r in decided] == [
        ("resolved", CLERK_2.name, MANAGER.name)], "who decided and who approved, in Register 1's own trail"
    assert "decided at Register 2" in decided[0].detail
    await vm.refresh()
    assert [r.register for r in vm.rows] == ["Register 2"], "Register 1's is redeemed: no longer open"
    one.stop()
    two.stop()


@pytest.mark.asyncio
async def test_mark_redeemed_per_aiqs_report_and_a_decision_on_a_row_that_changed_is_refused(server, api, args,
                                                                                             tmp_path):
    one = start("Register 1", tmp_path / "one", args, api)
    two = start("Register 2", tmp_path / "two", args, api)
    entry = await unknown_sale(one, api, "POS-1002", reached=True)
    later = await unknown_sale(one, api, "POS-1003", FIVE_OFF)
    await one.pusher.push_once()
    vm = window(two, args, api)
    await vm.refresh()
    reached = row_of(vm, one, "POS-1002")
    await vm.check_with_aiq(vm.key(reached))
    assert vm.checks[vm.key(reached)][0] == "found"
    assert Action.RETRY not in vm.allowed_actions(reached), "AIQ's report shows it: never sent again"
    await vm.decide(vm.key(reached), Action.RETRY, "try it")
    assert not hub_rows(args, "SELECT ref FROM hub_settlements"), "refused before anything reached the hub"
    await vm.decide(vm.key(reached), Action.REDEEMED, "AIQ's report shows it")
    stale = row_of(vm, one, "POS-1003")
    one.journal.resolve(later.id, "abandoned", "voided in the POS", MANAGER)  # decided at Register 1 meanwhile
    await one.pusher.push_once()
    assert one.journal.get(entry.id).state is State.REDEEMED and len(puts(server)) == 1
    await vm.decide(vm.key(stale), Action.ABANDONED, "voided")
    assert "changed since the list was read" in vm.message[1]
    one.stop()
    two.stop()


@pytest.mark.asyncio
async def test_the_owner_refuses_a_request_about_a_row_that_changed_there(server, api, args, tmp_path):
    """The hub lags the journal: the manager saw the row before Register 1's own manager decided."""
    one = start("Register 1", tmp_path / "one", args, api)
    two = start("Register 2", tmp_path / "two", args, api)
    entry = await unknown_sale(one, api, "POS-1004")
    await one.pusher.push_once()
    vm = window(two, args, api)
    await vm.refresh()
    one.journal.resolve(entry.id, "abandoned", "voided in the POS", MANAGER)  # not pushed yet
    await vm.decide(vm.key(vm.rows[0]), Action.RETRY, "AIQ's report does not show it")
    await one.pusher.push_once()
    assert one.journal.get(entry.id).state is State.ABANDONED and not puts(server)
    [(outcome, text)] = hub_rows(args, "SELECT outcome, outcome_text FROM hub_settlements")
    assert outcome == "refused" and "changed here since" in text
    one.stop()
    two.stop()


@pytest.mark.asyncio
async def test_conflicts_are_shown_plainly_and_settled_by_a_manager(server, api, args, tmp_path):
    one = start("Register 1", tmp_path / "one", args, api)
    two = start("Register 2", tmp_path / "two", args, api)
    await one.pusher.push_once()
    with psycopg.connect(**args) as conn:  # Register 1 holds the claim...
        claims.claim_on(conn, one.id, "Register 1", [claims.Claim(STORE, "POS-3000", TEN_OFF)], CLOCK.now())
    await unknown_sale(two, api, "POS-3000")  # ...while Register 2 redeemed it with the hub away
    await two.pusher.push_once()  # its late claim finds the conflict
    vm = window(one, args, api)
    await vm.refresh()
    [conflict] = vm.conflicts
    assert "redeemed at Register 2" in vm.conflict_text(conflict)
    assert "while Register 1 held the claim" in vm.conflict_text(conflict)
    refused = window(one, args, api, approving=lambda: None)
    await refused.refresh()
    await refused.settle_conflict(conflict.id, "checked both")
    assert "manager" in refused.message[1] and len(refused.conflicts) == 1
    await vm.settle_conflict(conflict.id, "checked both registers: AIQ took the points once")
    assert vm.conflicts == [] and "settled by Morgan Manager" in vm.message[1]
    assert hub_rows(args, "SELECT settled_by, settled_reason FROM hub_claim_conflicts") == [
        ("Morgan Manager (m-9)", "checked both registers: AIQ took the points once")]
    one.stop()
    two.stop()


@pytest.mark.asyncio
async def test_no_secret_reaches_the_hub(server, api, args, tmp_path):
    one = start("Register 1", tmp_path / "one", args, api)
    two = start("Register 2", tmp_path / "two", args, api)
    entry = await unknown_sale(one, api, "POS-1005")
    url = entry.redemption_url
    await one.pusher.push_once()
    vm = window(two, args, api)
    await vm.refresh()
    await vm.decide(vm.key(vm.rows[0]), Action.RETRY, "AIQ's report does not show it")
    await one.pusher.push_once()
    with psycopg.connect(**args) as conn:
        tables = [t for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'hub_%'")]
        dump = " ".join(str(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in tables)
    token = url.rstrip("/").rsplit("/", 1)[-1]
    for secret in (url, token, DEMO_API_KEY, parse_phone(DEMO_PHONE).digits):
        assert secret not in dump
    assert "hub_settlements" in tables
    one.stop()
    two.stop()


@pytest.mark.asyncio
async def test_two_managers_deciding_at_once_one_waits_and_the_other_is_told(server, api, args, tmp_path):
    one = start("Register 1", tmp_path / "one", args, api)
    two = start("Register 2", tmp_path / "two", args, api)
    three = start("Register 3", tmp_path / "three", args, api)
    await unknown_sale(one, api, "POS-1006")
    for register in (one, two, three):
        await register.pusher.push_once()
    at_two, at_three = window(two, args, api), window(three, args, api)
    await at_two.refresh()
    await at_three.refresh()
    await asyncio.gather(at_two.decide(at_two.key(at_two.rows[0]), Action.ABANDONED, "voided in the POS"),
                         at_three.decide(at_three.key(at_three.rows[0]), Action.REDEEMED, "AIQ shows it"))
    told = [vm.message[1] for vm in (at_two, at_three)]
    assert sum("already waiting" in t for t in told) == 1 and sum("Waiting for Register 1" in t for t in told) == 1
    assert len(hub_rows(args, "SELECT ref FROM hub_settlements")) == 1
    for register in (one, two, three):
        register.stop()


@pytest.mark.asyncio
async def test_a_reason_spelling_another_requests_marker_does_not_swallow_it(server, api, args, tmp_path):
    one = start("Register 1", tmp_path / "one", args, api)
    two = start("Register 2", tmp_path / "two", args, api)
    first = await unknown_sale(one, api, "POS-1007")
    second = await unknown_sale(one, api, "POS-1008", FIVE_OFF)
    await one.pusher.push_once()
    vm = window(two, args, api)
    await vm.refresh()
    await vm.decide(vm.key(row_of(vm, one, "POS-1008")), Action.ABANDONED, "voided")
    [(ref,)] = hub_rows(args, "SELECT ref FROM hub_settlements")
    earlier = StoreWideViewModel(HubDesk(args, terminal_id=two.id, terminal_name=two.name, key=STORE_KEY), api,
                                 lambda: STORE, CLOCK.shifted(timedelta(hours=-1)), acting=lambda: CLERK_2,
                                 approving=lambda: MANAGER)  # a till whose clock is behind: carried out first
    await earlier.refresh()
    await earlier.decide(earlier.key(row_of(earlier, one, "POS-1007")), Action.ABANDONED, f"voided [hub {ref}]")
    await one.pusher.push_once()
    assert one.journal.get(first.id).state is State.ABANDONED
    assert one.journal.get(second.id).state is State.ABANDONED, "the other request was carried out too"
    one.stop()
    two.stop()


@pytest.mark.asyncio
async def test_the_app_wiring_gives_the_window_the_whole_store_and_the_pusher_its_settler(server, api, args,
                                                                                        hub_db, tmp_path, qapp):
    from budtender_app.hub_wiring import CounterSide, start_hub
    from budtender_app.services.credentials import CredentialStore
    from budtender_app.services.hub.config import HubConfig
    from tests.helpers.memory_keyring import MemoryKeyring

    keys = CredentialStore(MemoryKeyring())
    HubConfig(keys).save(parse_hub_url(hub_db.url), hub_db.password)
    one = start("Register 1", tmp_path / "one", args, api)
    sender = RedemptionSender(api, one.journal)
    pending = PendingViewModel(one.journal, api, sender, clock=CLOCK, approving=lambda: MANAGER)
    counter = CounterSide(one.journal, sender, api, CLOCK, lambda: True, pending)
    link = start_hub(one.path, one.journal.seal, keys, CLOCK.now, training=False, counter=counter)
    assert link is not None
    try:
        assert link.pusher.settler is not None and pending.store_wide is not None
        assert pending.store_wide.store == STORE
    finally:
        link.stop()
        one.stop()


@pytest.mark.asyncio
@pytest.mark.logs_expected(r"not sealed with this store's key")
async def test_a_request_written_straight_into_the_hub_never_makes_register_1_send_again(
        server, api, args, tmp_path):
    """Someone with the hub's password (every till's keyring holds it) files a 'send again' for
    Register 1's unanswered redemption, naming the store's manager: Register 1 refuses it, sends
    nothing, and says why on the hub."""
    one = start("Register 1", tmp_path / "one", args, api)
    entry = await unknown_sale(one, api, "POS-1001", reached=True)  # AIQ did take it: a second PUT doubles it
    assert (await one.pusher.push_once()).in_sync
    [(as_of,)] = hub_rows(args, "SELECT as_of_seq FROM hub_redemptions")
    with psycopg.connect(**args) as conn:
        conn.execute("INSERT INTO hub_settlements (ref, store, owner_id, entry_id, transaction_id, discount_id, "
                     "action, reason, as_of_seq, decided_on, decided_on_name, staff_id, staff_name, approver_id, "
                     "approver_name, decided_at) VALUES ('forgedrefabc', %s, %s, %s, 'POS-1001', %s, 'retry', "
                     "'AIQ shows nothing', %s, 't-2', 'Register 2', %s, %s, %s, %s, now())",
                     (STORE, one.id, entry.id, TEN_OFF, as_of, CLERK_2.staff_id, CLERK_2.name, MANAGER.staff_id,
                      MANAGER.name))
    assert len(puts(server)) == 1
    await one.pusher.push_once()
    assert len(puts(server)) == 1 and one.journal.get(entry.id).state is State.UNKNOWN
    [(outcome, text)] = hub_rows(args, "SELECT outcome, outcome_text FROM hub_settlements")
    assert outcome == "refused" and "not sealed with this store's key" in text
    one.stop()
