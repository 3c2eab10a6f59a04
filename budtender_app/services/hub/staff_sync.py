"""Staff accounts shared through the store hub (issue 15): an account made, changed or removed at
any register (or with ``budtender-app staff`` on any till) reaches every register of the store, and
an account's passcode lockout holds at all of them.

What the hub holds (schema 5, ``hub_staff``): per store and account uid, the name, role, the
passcode's and badge's scrypt hashes and lookup tags (services/staff/lookup.py) with the id of the
key the tags were made under, removed or not, a version from one hub-wide sequence and the hub's
own time of the write, the account's seal; and its lockout. ``hub_staff_stores`` holds each
store's tag salt (not a secret). Never a passcode, a badge code, nor the lookup key itself.

The lookup key is the store's, not the terminal's. A tag is checkable only under the key and salt
it was made with: the salt is on the hub (the first register to sync gives its own; the others
take it, their tags made again at each account's next sign-in); the key stays in each register's
keyring, and IT carries it like the hub password (``budtender-app hub staff-key`` shows this
till's, ``hub staff-key --set`` reads it on the next). The same key seals each account row (an
HMAC over the row and its store, services/staff/hub_link.py ``seal``): a register writes in only
rows it can check, so whoever can write the hub's tables without the key (the database server's
admin, a stolen backup restored) makes no manager, changes no role and moves no account to another
store; a row of this register's that no longer checks is pushed again. A register without the
store's key takes in nothing from the hub (it says so, for IT) and keeps its own accounts. A copy
of the hub's tables alone checks no tag: one scrypt per guess per account, as a stolen staff file.

One sync (``sync``), from the app's background loop (staff_loop.py): take the store's salt, push
what changed here, send the lockout news, read the store's accounts back and write them in.

The conflict rule: the last write to reach the hub wins (the hub's sequence and clock, never a
register's), and a removal wins over everything: once removed on the hub an account is never
written again (the write is ignored, and the register takes the removal at the same sync). A name
already active on the hub under another account (two registers made "Sam" while apart) is not
pushed: that account stays on its register until one is renamed (logged for IT). Lockouts: tries
are counted on the hub under the account's row lock (``SELECT ... FOR UPDATE``, then the domain's
``count_try``), so two registers never lose each other's; an unlock raises the account's lock
generation, which every register takes whole; otherwise the stricter of hub and register holds.
Sign-in tries that match no account stay the terminal's own: one guesser must not lock a whole
store's sign-in.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime

import psycopg

from budtender_app.domain import lockout
from budtender_app.domain.lockout import PinLockout
from budtender_app.domain.staff import Role, name_key
from budtender_app.services.hub.schema import require_current
from budtender_app.services.hub.staff_schema import mark_staff_synced
from budtender_app.services.staff.hub_link import Applied, HubAccount, LockNews, Outgoing, StaffLink
from budtender_app.services.staff.store import StaffStore

_ACCOUNT_COLUMNS = ("name", "name_key", "role", "passcode_hash", "passcode_tag", "badge_hash", "badge_tag", "key_id",
                    "mac")
_UPSERT = (f"INSERT INTO hub_staff (store, uid, {', '.join(_ACCOUNT_COLUMNS)}, removed_at, updated_by) "
           f"VALUES (%s, %s, {', '.join(['%s'] * len(_ACCOUNT_COLUMNS))}, %s, %s) "
           "ON CONFLICT (store, uid) DO UPDATE SET "
           + ", ".join(f"{c} = excluded.{c}" for c in _ACCOUNT_COLUMNS)
           + ", removed_at = excluded.removed_at, updated_by = excluded.updated_by, "
             "version = nextval('hub_staff_version'), updated_at = now() "
             "WHERE hub_staff.removed_at IS NULL RETURNING version")
_SELECT = ("SELECT uid, name, role, passcode_hash, passcode_tag, badge_hash, badge_tag, key_id, "
           "removed_at IS NOT NULL, version, failures, locked_until, level, last_lockout, lock_gen, mac "
           "FROM hub_staff WHERE store = %s ORDER BY version")
_SALT = re.compile(r"[0-9a-f]{32}")


@dataclass
class StaffSyncResult:
    """What one sync did: accounts pushed, what changed here (``applied``), and the accounts
    left out with why (for IT's log: names only, never a passcode or a hash)."""

    pushed: int = 0
    applied: Applied = field(default_factory=Applied)
    skipped: list[str] = field(default_factory=list)
    salt_changed: bool = False


class StaffSyncError(Exception):
    """The hub's answer cannot be used (a damaged salt): nothing was written here."""


def store_salt(conn: psycopg.Connection, store: str, offered: str) -> str:
    """The store's tag salt on the hub: ``offered`` (this register's) when the store has none yet."""
    with conn.transaction():
        conn.execute("INSERT INTO hub_staff_stores (store, tag_salt) VALUES (%s, %s) ON CONFLICT (store) DO NOTHING",
                     (store, offered))
        row = conn.execute("SELECT tag_salt FROM hub_staff_stores WHERE store = %s", (store,)).fetchone()
    salt = str(row[0]) if row else ""
    if not _SALT.fullmatch(salt):
        raise StaffSyncError(f"the hub's staff tag salt of store {store!r} is damaged: IT checks hub_staff_stores")
    return salt


def push_account(conn: psycopg.Connection, store: str, terminal_id: str, account: HubAccount,
                 removed_at: datetime) -> int | None:
    """Write one account on the hub; its new version, or None when the hub ignored it (removed
    there: a removal wins) or refused it (its name is another active account's)."""
    a = account
    values = (a.name, name_key(a.name), a.role.value, a.passcode_hash, a.passcode_tag, a.badge_hash, a.badge_tag,
              a.key_id, a.mac)
    try:
        with conn.transaction():
            row = conn.execute(_UPSERT, (store, a.uid, *values, removed_at if a.removed else None,
                                         terminal_id)).fetchone()
    except psycopg.errors.UniqueViolation:
        return None
    return None if row is None else int(row[0])


def send_lock(conn: psycopg.Connection, store: str, news: LockNews, now: float) -> None:
    """The account's lockout news, counted on the hub under its row lock (see the docstring)."""
    with conn.transaction():
        row = conn.execute("SELECT failures, locked_until, level, last_lockout, lock_gen FROM hub_staff "
                           "WHERE store = %s AND uid = %s AND removed_at IS NULL FOR UPDATE",
                           (store, news.uid)).fetchone()
        if row is None:
            return
        lock, gen = sane_lock(row[0], row[1], row[2], row[3]), int(row[4])
        if news.unlocked:  # past every generation the registers have seen, a restored hub's too
            lock, gen = PinLockout(), max(gen, news.lock_gen) + 1
        elif news.cleared:
            lock = lockout.cleared(lock)
        for _ in range(min(news.tries, lockout.MAX_TRIES * len(lockout.LOCK_STEPS))):
            lock = lockout.clamped(lock, now)
            if lockout.remaining(lock, now) == 0:
                lock = lockout.count_try(lock, now)
        conn.execute("UPDATE hub_staff SET failures = %s, locked_until = %s, level = %s, last_lockout = %s, "
                     "lock_gen = %s WHERE store = %s AND uid = %s",
                     (lock.failures, lock.locked_until, lock.level, lock.last_lockout, gen, store, news.uid))


def sane_lock(failures: int, locked_until: float, level: int, last_lockout: float) -> PinLockout:
    """A lockout as the hub holds it, kept within what the domain can make (a hand-edited row, an
    infinite or NaN time, must not break a sign-in: ``remaining`` would fail on NaN)."""
    def finite(x: float) -> float:
        return float(x) if math.isfinite(x) and x >= 0 else 0.0

    return PinLockout(failures=min(max(int(failures), 0), lockout.MAX_TRIES - 1), locked_until=finite(locked_until),
                      level=min(max(int(level), 0), 1000), last_lockout=finite(last_lockout))


def store_accounts(conn: psycopg.Connection, store: str) -> list[HubAccount]:
    """Every account of ``store`` on the hub, removed ones too, oldest version first."""
    rows = conn.execute(_SELECT, (store,)).fetchall()
    conn.commit()
    accounts = []
    for r in rows:
        try:
            role = Role(r[2])
        except ValueError:
            continue  # the table's CHECK keeps this from happening; a hand-edited row is left out
        accounts.append(HubAccount(
            uid=str(r[0]), name=str(r[1]), role=role, passcode_hash=str(r[3]), passcode_tag=r[4], badge_hash=r[5],
            badge_tag=r[6], key_id=str(r[7]), removed=bool(r[8]), version=int(r[9]),
            lock=sane_lock(r[10], r[11], r[12], r[13]), lock_gen=int(r[14]), mac=str(r[15])))
    return accounts


def sync(conn: psycopg.Connection, store: str, terminal_id: str, staff: StaffStore, now: datetime) -> StaffSyncResult:
    """One whole sync of this register's staff file with the store's accounts on the hub."""
    require_current(conn)
    result = StaffSyncResult()
    salt = store_salt(conn, store, staff.tag_salt())
    result.salt_changed = staff.adopt_tag_salt(salt)
    link = staff.link()
    result.pushed += _push_all(conn, store, terminal_id, link, now, result)
    for news in link.lock_news():
        send_lock(conn, store, news, now.timestamp())
        link.lock_sent(news)
    result.applied = link.apply(store, store_accounts(conn, store))
    if result.applied.refill:  # the hub lacks what this register pushed before: refilled now
        result.pushed += _push_all(conn, store, terminal_id, link, now, result)
    result.skipped += result.applied.skipped
    mark_staff_synced(conn, terminal_id)
    return result


def _push_all(conn: psycopg.Connection, store: str, terminal_id: str, link: StaffLink, now: datetime,
              result: StaffSyncResult) -> int:
    return sum(_push(conn, store, terminal_id, link, out, now, result) for out in link.outgoing())


def _push(conn: psycopg.Connection, store: str, terminal_id: str, link: StaffLink, out: Outgoing, now: datetime,
          result: StaffSyncResult) -> int:
    version = push_account(conn, store, terminal_id, link.seal(store, out.account), now)
    if version is not None:
        link.pushed(out, version)
        return 1
    removed = conn.execute("SELECT removed_at IS NOT NULL FROM hub_staff WHERE store = %s AND uid = %s",
                           (store, out.account.uid)).fetchone()
    conn.commit()
    if not (removed and removed[0]):  # not removed there: the name is taken by another account
        result.skipped.append(f"{out.account.name!r}: another active account of the store has that name "
                              "(rename one of them)")
    return 0

