"""The staff file's side of the store hub (issue 15): which local account is which store account,
what changed here since the last sync, and the hub's accounts written in.

``hub_link`` (one row per local account the hub knows) maps the local id to the store-wide
``uid`` (random, made where the account was made), with the hub ``version`` the local row was
last written from and ``dirty``, a counter the trigger ``hub_link_dirty`` raises on every change
of name, role, passcode, badge or removal, so a change made here (the app, or IT's
``budtender-app staff`` on this till) is pushed at the next sync. A try counted against an account
(``note_try``), a right answer (``note_cleared``) and IT's unlock or a passcode reset
(``note_unlocked``) are counted there too, for the hub's store-wide lockout (hub/staff_sync.py).
Counters are taken back by what was sent, never zeroed: a change made during a sync is sent at the
next one.

The tables are made with IF NOT EXISTS at every open, outside the file's schema version: an older
app opening the file ignores them. Nothing here logs or returns a passcode; the hashes go only to
the hub (hub/staff_sync.py), which holds hashes and lookup tags, never a passcode.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
from dataclasses import dataclass, field, replace

from budtender_app.domain import lockout
from budtender_app.domain.clock import Clock
from budtender_app.domain.lockout import PinLockout
from budtender_app.domain.staff import Actor, ActorKind, Role, StaffMember, StaffRuleError, check_name, name_key
from budtender_app.services.slow_hash import SCRYPT_N, SCRYPT_P, SCRYPT_R, SlowHash
from budtender_app.services.staff.schema import (
    LOCK_COLUMNS,
    MEMBER_COLUMNS,
    Db,
    lockout_of,
    lockout_values,
    member_of,
    record_event,
)

LINK_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS hub_link (
        member_id INTEGER PRIMARY KEY REFERENCES staff(id),
        uid TEXT NOT NULL UNIQUE,
        version INTEGER NOT NULL DEFAULT 0,
        dirty INTEGER NOT NULL DEFAULT 0,
        tries INTEGER NOT NULL DEFAULT 0,
        cleared INTEGER NOT NULL DEFAULT 0,
        unlocked INTEGER NOT NULL DEFAULT 0,
        lock_gen INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TRIGGER IF NOT EXISTS hub_link_dirty AFTER UPDATE OF name, role, passcode_hash, badge_hash, removed_at
        ON staff BEGIN UPDATE hub_link SET dirty = dirty + 1 WHERE member_id = NEW.id; END""",
)
_HUB = Actor(ActorKind.TERMINAL, "the store hub")
_ACCOUNT = ("s.id, s.name, s.role, s.passcode_hash, s.passcode_tag, s.badge_hash, s.badge_tag, "
            "s.removed_at IS NOT NULL AS removed")


@dataclass(frozen=True)
class HubAccount:
    """One store account as the hub and the sync carry it: hashes and tags, never a passcode.
    ``key_id`` names the lookup key the tags were made under (lookup.py); ``version`` is the
    hub's (0 before it is pushed); ``lock``/``lock_gen`` its store-wide lockout."""

    uid: str
    name: str
    role: Role
    passcode_hash: str
    passcode_tag: str | None = None
    badge_hash: str | None = None
    badge_tag: str | None = None
    key_id: str = ""
    removed: bool = False
    version: int = 0
    lock: PinLockout = field(default_factory=PinLockout)
    lock_gen: int = 0
    mac: str = ""  # the account's seal under the store's key (``StaffLink.seal``)


@dataclass(frozen=True)
class Outgoing:
    """A local change to push: the account, and the ``dirty`` count it was read at."""

    member_id: int
    account: HubAccount
    dirty: int


@dataclass(frozen=True)
class LockNews:
    """Lockout news of one account for the hub: tries counted here, right answers, unlocks."""

    member_id: int
    uid: str
    tries: int
    cleared: int
    unlocked: int
    lock_gen: int = 0  # the lock generation this register last took from the hub


@dataclass
class Applied:
    """What one sync changed here: ids of accounts added, changed and removed, and the skipped
    accounts with why (a name or passcode clash: for IT, never with a passcode)."""

    added: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    #: Accounts the hub lacks or holds older than this register last saw (a hub restored from an
    #: older backup, or a new one): marked to be pushed again, so the hub is refilled.
    refill: int = 0

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def create_link_tables(conn: sqlite3.Connection) -> None:
    for statement in LINK_SCHEMA:
        conn.execute(statement)


def note_try(conn: sqlite3.Connection, member_id: int) -> None:
    """A wrong-or-not-yet-checked try counted against the account (signin.py), for the hub."""
    conn.execute("UPDATE hub_link SET tries = tries + 1 WHERE member_id = ?", (member_id,))


def note_cleared(conn: sqlite3.Connection, member_id: int) -> None:
    """A right answer took the account's wrong tries back."""
    conn.execute("UPDATE hub_link SET cleared = cleared + 1, tries = max(tries - 1, 0) WHERE member_id = ?",
                 (member_id,))


def note_unlocked(conn: sqlite3.Connection, member_id: int) -> None:
    """IT unlocked the account, or gave it a new passcode: its lockout ends at every register."""
    conn.execute("UPDATE hub_link SET unlocked = unlocked + 1, tries = 0 WHERE member_id = ?", (member_id,))


def usable_hash(stored: str | None) -> bool:
    """An scrypt hash of this app's own parameters: a damaged or hostile one (a huge ``n`` would
    take a till's memory at every sign-in) is never written into the staff file."""
    if not stored:
        return False
    try:
        h = SlowHash.decode(stored)
    except ValueError:
        return False
    return (h.n, h.r, h.p) == (SCRYPT_N, SCRYPT_R, SCRYPT_P)


class StaffLink:
    """The hub's view of one staff file (its ``Db``) whose tags are made under ``key_id``."""

    def __init__(self, db: Db, key_id: str, clock: Clock, key: bytes) -> None:
        self._db = db
        self.key_id = key_id
        self._clock = clock
        self._key = key

    def seal(self, store: str, account: HubAccount) -> HubAccount:
        """``account`` with its seal: an HMAC under the store's lookup key of what the hub keeps of
        it and of the store it is of. Whoever can write the hub's tables but lacks the key (its
        server's admin, a stolen backup) cannot make a manager, change a role or move an account to
        another store: a register writes in only what it can check."""
        a = account
        fields = [store, a.uid, a.name, a.role.value, a.passcode_hash, a.passcode_tag, a.badge_hash, a.badge_tag,
                  a.key_id, a.removed]
        text = b"budtender hub staff account\x00" + json.dumps(fields, separators=(",", ":")).encode()
        return replace(a, mac=hmac.new(self._key, text, hashlib.sha256).hexdigest())

    def sealed(self, store: str, account: HubAccount) -> bool:
        return hmac.compare_digest(self.seal(store, account).mac, account.mac)

    def outgoing(self) -> list[Outgoing]:
        """Accounts to push: every one changed since its last push, and every active one the hub
        has never had (given its store-wide uid here)."""
        with self._db.write() as conn:
            for (member_id,) in conn.execute("SELECT id FROM staff WHERE removed_at IS NULL AND id NOT IN "
                                             "(SELECT member_id FROM hub_link)").fetchall():
                conn.execute("INSERT INTO hub_link (member_id, uid, dirty) VALUES (?, ?, 1)",
                             (member_id, secrets.token_hex(16)))
            rows = conn.execute(f"SELECT {_ACCOUNT}, l.uid, l.dirty FROM staff s JOIN hub_link l ON "
                                "l.member_id = s.id WHERE l.dirty > 0 ORDER BY s.id").fetchall()
        return [Outgoing(int(r["id"]), _outgoing(r, self.key_id), int(r["dirty"])) for r in rows]

    def pushed(self, sent: Outgoing, version: int) -> None:
        """The hub took ``sent`` as ``version``: changes made since stay to push."""
        with self._db.write() as conn:
            # The hub's number, even when lower than the last one seen here: a hub restored from an
            # older backup (or a new one) numbers from where it is, and is then not refilled again.
            conn.execute("UPDATE hub_link SET version = ?, dirty = max(dirty - ?, 0) WHERE member_id = ?",
                         (version, sent.dirty, sent.member_id))

    def lock_news(self) -> list[LockNews]:
        with self._db.read() as conn:
            rows = conn.execute("SELECT member_id, uid, tries, cleared, unlocked, lock_gen FROM hub_link "
                                "WHERE tries > 0 OR cleared > 0 OR unlocked > 0").fetchall()
        return [LockNews(int(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows]

    def lock_sent(self, news: LockNews) -> None:
        with self._db.write() as conn:
            conn.execute("UPDATE hub_link SET tries = max(tries - ?, 0), cleared = max(cleared - ?, 0), "
                         "unlocked = max(unlocked - ?, 0) WHERE member_id = ?",
                         (news.tries, news.cleared, news.unlocked, news.member_id))

    def apply(self, store: str, accounts: list[HubAccount]) -> Applied:
        """Write the hub's accounts of ``store`` in (see hub/staff_sync.py for the conflict rule),
        each one in its own savepoint so one clash skips that account only; and their store-wide
        lockouts. An account whose seal does not check under this register's key is left out (and,
        when it is one of this register's, pushed again)."""
        done = Applied()
        unsealed = [a for a in accounts if not self.sealed(store, a)]
        if unsealed:
            done.skipped.append(f"{len(unsealed)} account(s) on the hub are not sealed with this register's staff "
                                "sign-in key: IT gives it the store's (`budtender-app hub staff-key --set`)")
        accounts = [a for a in accounts if a not in unsealed]
        with self._db.write() as conn:
            for account in accounts:
                conn.execute("SAVEPOINT hub_account")
                try:
                    check_name(account.name)  # a hub's name is held to the rules a manager's typing is
                    self._apply_one(conn, account, done)
                except StaffRuleError as exc:
                    conn.execute("ROLLBACK TO hub_account")
                    done.skipped.append(f"account {account.uid[:8]} on the hub: {exc}")
                except sqlite3.IntegrityError:
                    conn.execute("ROLLBACK TO hub_account")
                    done.skipped.append(f"{account.name!r}: another active account here has that name "
                                        "(rename one of them)")
                conn.execute("RELEASE hub_account")
            on_hub = {a.uid for a in accounts}
            missing = [(r[0],) for r in conn.execute("SELECT member_id, uid FROM hub_link WHERE dirty = 0")
                       if r[1] not in on_hub]
            conn.executemany("UPDATE hub_link SET dirty = dirty + 1 WHERE member_id = ?", missing)
            done.refill += len(missing)
        return done

    # -- inside --------------------------------------------------------------------------------

    def _apply_one(self, conn: sqlite3.Connection, account: HubAccount, done: Applied) -> None:
        link = conn.execute("SELECT member_id, version, dirty, lock_gen FROM hub_link WHERE uid = ?",
                            (account.uid,)).fetchone()
        if link is None:
            if not account.removed:
                self._insert(conn, account, done)
            return
        member_id = int(link["member_id"])
        if account.version < int(link["version"]) and int(link["dirty"]) == 0:  # the hub went back in time
            conn.execute("UPDATE hub_link SET dirty = dirty + 1 WHERE member_id = ?", (member_id,))
            done.refill += 1
            return
        newer = account.version > int(link["version"])
        if newer and (account.removed or int(link["dirty"]) == 0):  # a removal wins over a change not pushed yet
            self._update(conn, member_id, account, done)
            conn.execute("UPDATE hub_link SET version = ?, dirty = 0 WHERE member_id = ?", (account.version, member_id))
        self._merge_lock(conn, member_id, account, int(link["lock_gen"]))

    def _tags(self, conn: sqlite3.Connection, account: HubAccount) -> tuple[str | None, str | None]:
        """The hub's tags when made under this file's key (and salt: adopted at the sync's start)."""
        if account.key_id != self.key_id:
            return None, None
        taken = [t for t in (account.passcode_tag, account.badge_tag) if t is not None and conn.execute(
            "SELECT 1 FROM staff WHERE removed_at IS NULL AND (passcode_tag = ? OR badge_tag = ?)", (t, t)).fetchone()]
        # A tag another account here has (one passcode given twice while apart): found by its slow hash.
        return (None if account.passcode_tag in taken else account.passcode_tag,
                None if account.badge_tag in taken else account.badge_tag)

    def _insert(self, conn: sqlite3.Connection, account: HubAccount, done: Applied) -> None:
        if not usable_hash(account.passcode_hash):
            done.skipped.append(f"{account.name!r}: its passcode hash on the hub is damaged (reset its passcode)")
            return
        passcode_tag, badge_tag = self._tags(conn, account)
        badge = account.badge_hash if usable_hash(account.badge_hash) else None
        cursor = conn.execute(
            "INSERT INTO staff (name, name_key, role, passcode_hash, passcode_tag, badge_hash, badge_tag, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (account.name, name_key(account.name), account.role.value, account.passcode_hash, passcode_tag,
             badge, badge_tag if badge else None, self._clock.now().isoformat()))
        member_id = int(cursor.lastrowid or 0)
        conn.execute("INSERT INTO hub_link (member_id, uid, version) VALUES (?, ?, ?)",
                     (member_id, account.uid, account.version))
        record_event(conn, self._clock.now(), _HUB, "added", _member(conn, member_id),
                     f"as {account.role.value}, made at another register")
        done.added.append(member_id)

    def _update(self, conn: sqlite3.Connection, member_id: int, account: HubAccount, done: Applied) -> None:
        before = _member(conn, member_id)
        if before is None or before.removed:
            return
        at = self._clock.now()
        if account.removed:
            conn.execute("UPDATE staff SET removed_at = ?, passcode_hash = '', passcode_tag = NULL, badge_hash = NULL, "
                         "badge_tag = NULL WHERE id = ?", (at.isoformat(), member_id))
            record_event(conn, at, _HUB, "removed", before, "at another register")
            done.removed.append(member_id)
            return
        old = conn.execute("SELECT passcode_hash, passcode_tag, badge_hash, badge_tag FROM staff WHERE id = ?",
                           (member_id,)).fetchone()
        passcode_tag, badge_tag = self._tags(conn, account)
        passcode = account.passcode_hash if usable_hash(account.passcode_hash) else old["passcode_hash"]
        badge = account.badge_hash if usable_hash(account.badge_hash) else None
        if passcode == old["passcode_hash"] and passcode_tag is None:
            passcode_tag = old["passcode_tag"]  # same passcode: this file's own tag still finds it
        if badge is not None and badge == old["badge_hash"] and badge_tag is None:
            badge_tag = old["badge_tag"]
        conn.execute("UPDATE staff SET name = ?, name_key = ?, role = ?, passcode_hash = ?, passcode_tag = ?, "
                     "badge_hash = ?, badge_tag = ? WHERE id = ?",
                     (account.name, name_key(account.name), account.role.value, passcode, passcode_tag, badge,
                      badge_tag if badge else None, member_id))
        record_event(conn, at, _HUB, "changed", before, f"at another register: {account.role.value}")
        done.changed.append(member_id)

    def _merge_lock(self, conn: sqlite3.Connection, member_id: int, account: HubAccount, local_gen: int) -> None:
        """The store's lockout of the account here: a newer generation (an unlock at some register)
        replaces the local one; else the stricter of the two holds."""
        row = conn.execute(f"SELECT {LOCK_COLUMNS} FROM staff WHERE id = ?", (member_id,)).fetchone()
        here, hub = lockout_of(row), account.lock
        if account.lock_gen > local_gen:
            merged = hub
        else:
            merged = PinLockout(failures=min(max(here.failures, hub.failures), lockout.MAX_TRIES - 1),
                                locked_until=max(here.locked_until, hub.locked_until),
                                level=max(here.level, hub.level), last_lockout=max(here.last_lockout, hub.last_lockout))
        if merged != here:
            conn.execute("UPDATE staff SET failures = ?, locked_until = ?, level = ?, last_lockout = ? WHERE id = ?",
                         (*lockout_values(merged), member_id))
        conn.execute("UPDATE hub_link SET lock_gen = max(lock_gen, ?) WHERE member_id = ?",
                     (account.lock_gen, member_id))


def _outgoing(r: sqlite3.Row, key_id: str) -> HubAccount:
    """The account as pushed: a removed one with no hash nor tag at all."""
    removed = bool(r["removed"])
    return HubAccount(uid=r["uid"], name=r["name"], role=Role(r["role"]),
                      passcode_hash="" if removed else r["passcode_hash"] or "",
                      passcode_tag=None if removed else r["passcode_tag"],
                      badge_hash=None if removed else r["badge_hash"], badge_tag=None if removed else r["badge_tag"],
                      key_id=key_id, removed=removed)


def _member(conn: sqlite3.Connection, member_id: int) -> StaffMember | None:
    row = conn.execute(f"SELECT {MEMBER_COLUMNS} FROM staff WHERE id = ?", (member_id,)).fetchone()
    return None if row is None else member_of(row)
