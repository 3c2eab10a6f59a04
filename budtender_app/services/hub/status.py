"""What ``hub status`` says: the hub reachable or why not, this terminal's last push and how
many events it is behind, every terminal whose chain the hub found broken, and the conflicts of
late claims (claims.py) for managers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

from budtender_app.services.hub.claims import conflicts
from budtender_app.services.hub.push import Terminal
from budtender_app.services.hub.schema import schema_version
from budtender_app.services.hub.status_more import StaffState, Waits, staff_state, waits
from budtender_app.services.hub.status_more import describe as describe_more


@dataclass(frozen=True)
class TerminalState:
    """One terminal as the hub has it."""

    terminal_id: str
    name: str
    last_push: datetime | None
    last_sequence: int
    chain_ok: bool
    chain_problem: str


@dataclass(frozen=True)
class HubState:
    """The hub's schema version, its terminals, and this terminal's distance behind (None: unknown)."""

    version: int
    terminals: list[TerminalState]
    this: TerminalState | None
    behind: int | None
    #: Late claims held by another register: (store, transaction, discount, redeemed at, held by).
    conflicts: tuple[tuple[str, str, str, str, str], ...] = ()
    #: Settlements waiting (this terminal's, the store's) and the staff sync (status_more.py).
    waits: Waits | None = None
    staff: StaffState | None = None

    @property
    def flagged(self) -> list[TerminalState]:
        return [t for t in self.terminals if not t.chain_ok]


def hub_state(conn: psycopg.Connection, terminal: Terminal | None, staff_key: str | None = None) -> HubState:
    """Read the hub's view; ``terminal`` (this one's journal) gives how far behind it is, what
    waits for it and its staff sync (``staff_key``: the id of this register's staff key)."""
    version = schema_version(conn)
    if version == 0:
        return HubState(0, [], None, None)
    terminals = [TerminalState(*r) for r in conn.execute(
        "SELECT terminal_id, name, last_push, last_sequence, chain_ok, chain_problem FROM hub_terminals "
        "ORDER BY name, terminal_id").fetchall()]
    conn.commit()
    found = tuple(conflicts(conn)) if version >= 2 else ()
    if terminal is None:
        return HubState(version, terminals, None, None, found)
    this = next((t for t in terminals if t.terminal_id == terminal.id), None)
    hub_last = conn.execute("SELECT coalesce(max(seq), 0) FROM hub_events WHERE terminal_id = %s",
                            (terminal.id,)).fetchone()
    conn.commit()
    behind = terminal.journal.audit.last()[0] - int(hub_last[0] if hub_last else 0)
    if version < 6:
        return HubState(version, terminals, this, behind, found)
    store = _store_of(conn, terminal)
    return HubState(version, terminals, this, behind, found, waits(conn, terminal.id, store),
                    staff_state(conn, terminal.id, store, staff_key))


def _store_of(conn: psycopg.Connection, terminal: Terminal) -> str:
    """The store this terminal works for now: its journal's (read-only, it names none: its last
    event's), else what the hub has of it."""
    if terminal.journal.store:
        return terminal.journal.store
    last = terminal.journal.read_one("SELECT store FROM audit ORDER BY id DESC LIMIT 1", ())
    if last is not None and last[0]:
        return str(last[0])
    row = conn.execute("SELECT store FROM hub_terminals WHERE terminal_id = %s", (terminal.id,)).fetchone()
    conn.commit()
    return str(row[0]) if row else ""


def describe(state: HubState, where: str) -> list[str]:
    """The lines ``hub status`` prints."""
    if state.version == 0:
        return [f"The hub at {where} is reachable but has no schema yet: run `budtender-app hub init`."]
    lines = [f"The hub at {where} is reachable (schema {state.version}, {len(state.terminals)} terminals)."]
    if state.this is not None:
        when = state.this.last_push.isoformat(timespec="seconds") if state.this.last_push else "never"
        lines.append(f"This terminal ({state.this.name}): last push {when}, event #{state.this.last_sequence}, "
                     f"{state.behind} events behind.")
    elif state.behind is not None:
        lines.append(f"This terminal has pushed nothing yet ({state.behind} events to push).")
    if state.waits is not None and state.staff is not None:
        lines += describe_more(state.waits, state.staff)
    lines += [f"WARNING: the audit chain of {t.name} ({t.terminal_id}) on the hub is broken: {t.chain_problem}"
              for t in state.flagged]
    lines += [f"WARNING: claim conflict at {store}: transaction {txid} discount {discount} was redeemed at "
              f"{late} while the hub was unreachable, and {holder} holds it: a manager checks both"
              for store, txid, discount, late, holder in state.conflicts]
    return lines
