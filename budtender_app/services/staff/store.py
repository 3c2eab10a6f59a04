"""The staff accounts of one terminal (issue 13): who may sign in, with which role.

Its own SQLite file (``Folders.staff()``; training's is ``Folders.staff(training=True)``), see
schema.py. Every change is one ``BEGIN IMMEDIATE`` transaction that checks the rules against the
file as it is now and writes the change and its line of history together:

- who may change accounts (domain/staff.authority_problem): a signed-in manager or IT at the
  command line; on a terminal with no manager only IT or the first-start setup, and the first
  account must be a manager;
- the last active manager can be neither removed nor made a cashier;
- names are unique among active accounts (case ignored); so are passcodes and badges, and a
  refused one says "taken" without saying whose;
- removing keeps the row and its name (history refers to it) and wipes its passcode and badge
  hashes, so a removed account cannot sign in whatever happens to its row.

Sign-in and approval (identify, identify_badge, verify) are signin.py's. Cost (lookup.py): one
scrypt per account would make a sign-in with 30 accounts take 0.94 s here; a keyed lookup tag
makes it two scrypts, 64 ms with 30 accounts, whatever their number.
Nothing here returns or logs a passcode, a badge or a hash.
"""

from __future__ import annotations

import builtins
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from budtender_app.domain.clock import Clock
from budtender_app.domain.staff import (
    BADGE_TAKEN,
    PASSCODE_TAKEN,
    Actor,
    DemoAccount,
    Role,
    StaffCheck,
    StaffEvent,
    StaffMember,
    StaffRuleError,
    authority_problem,
    check_badge,
    check_name,
    check_passcode,
    first_account_problem,
    name_key,
)
from budtender_app.services.settings_model import ManagerPinRecord
from budtender_app.services.slow_hash import matches_text, slow_hash
from budtender_app.services.staff.hub_link import StaffLink, create_link_tables, note_unlocked
from budtender_app.services.staff.lookup import Secret, Tagger, new_salt
from budtender_app.services.staff.schema import (
    MEMBER_COLUMNS,
    Db,
    events_of,
    get_meta,
    member_of,
    record_event,
    set_meta,
)
from budtender_app.services.staff.signin import SignInDesk
from budtender_app.services.staff.unlock import Unlocked, clear_lock, was_text
from budtender_app.services.staff.upgrade import upgrade_from_manager_pin

_HASHED = {Secret.PASSCODE: ("passcode_hash", "passcode_tag", PASSCODE_TAKEN),
           Secret.BADGE: ("badge_hash", "badge_tag", BADGE_TAKEN)}


class StaffStore:
    """Adds, lists and changes staff accounts; signs them in (``identify``) and checks approvals.

    lookup_key: the key of the passcodes' lookup tags (lookup.py; from the OS keyring, or
    training's public one). read_manager_pin: the settings file's old single manager PIN, made
    the first manager account on the first open of an empty file (upgrade.py); None: no upgrade.
    """

    def __init__(self, path: Path, *, clock: Clock, lookup_key: bytes,
                 read_manager_pin: Callable[[], ManagerPinRecord | None] | None = None) -> None:
        self.path = Path(path)
        self._clock = clock
        self._key = lookup_key
        self._db = Db(self.path)
        try:
            self._tagger = self._prepare_tags(lookup_key)
            if read_manager_pin is not None:
                upgrade_from_manager_pin(self._db, read_manager_pin, clock)
        except BaseException:
            self._db.close()
            raise
        self._desk = SignInDesk(self._db, self._tagger, clock)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> StaffStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sign-in (signin.py) ---------------------------------------------------------------------

    def identify(self, passcode: str) -> StaffCheck:
        """Sign-in by passcode alone: OK with the member whose passcode it is, or WRONG / LOCKED.
        Tries that match nobody count on the terminal's lockout."""
        return self._desk.identify(passcode)

    def identify_badge(self, code: str) -> StaffCheck:
        """Sign-in by badge scan, like identify()."""
        return self._desk.identify_badge(code)

    def verify(self, member_id: int, passcode: str) -> StaffCheck:
        """Whether this is that account's passcode (a manager approving by their own); wrong tries
        lock that account. NO_ACCOUNT when it is removed or unknown."""
        return self._desk.verify(member_id, passcode)

    def seconds_locked(self) -> int:
        """Seconds until sign-in (identify) takes a try again; 0 when it is not locked."""
        return self._desk.seconds_locked()

    # -- the store hub (hub_link.py, services/hub/staff_sync.py) -------------------------------

    def link(self) -> StaffLink:
        """This file as the store hub's sync reads and writes it."""
        return StaffLink(self._db, self._tagger.key_id, self._clock, self._key)

    def tag_salt(self) -> str:
        with self._db.read() as conn:
            return get_meta(conn, "tag_salt") or ""

    def adopt_tag_salt(self, salt: str) -> bool:
        """Make the store's tag salt this file's (its tags, made under another, are dropped and made
        again at each account's next sign-in); True when it changed."""
        with self._db.write() as conn:
            if get_meta(conn, "tag_salt") == salt:
                return False
            set_meta(conn, "tag_salt", salt)
            conn.execute("UPDATE staff SET passcode_tag = NULL, badge_tag = NULL")
            # Swapped under the file's lock: a sign-in filling a tag made under the old salt sees it.
            self._tagger = self._desk.tagger = Tagger(self._key, bytes.fromhex(salt))
        return True

    # -- reading -------------------------------------------------------------------------------

    def list(self, *, include_removed: bool = True) -> builtins.list[StaffMember]:
        """Every account, oldest first (names, roles, badge yes/no; never a hash)."""
        where = "" if include_removed else " WHERE removed_at IS NULL"
        with self._db.read() as conn:
            return [member_of(r) for r in conn.execute(f"SELECT {MEMBER_COLUMNS} FROM staff{where} ORDER BY id")]

    def get(self, member_id: int) -> StaffMember | None:
        with self._db.read() as conn:
            return _member(conn, member_id)

    def find(self, text: str) -> StaffMember | None:
        """An account by id (digits), else the active account of that name (case ignored)."""
        text = text.strip()
        with self._db.read() as conn:
            if text.isascii() and text.isdigit():
                found = _member(conn, int(text))
                if found is not None:
                    return found
            row = conn.execute(f"SELECT {MEMBER_COLUMNS} FROM staff WHERE name_key = ? AND removed_at IS NULL",
                               (name_key(text),)).fetchone()
        return None if row is None else member_of(row)

    def has_manager(self) -> bool:
        """Whether an active manager exists (none: only IT or the first-start setup may add one)."""
        with self._db.read() as conn:
            return _has_manager(conn)

    def events(self) -> builtins.list[StaffEvent]:
        """The accounts' history, oldest first: who did what to whom, when."""
        with self._db.read() as conn:
            return events_of(conn)

    # -- changes -------------------------------------------------------------------------------

    def add(self, name: str, role: Role | str, passcode: str, *, badge: str | None = None,
            by: Actor) -> StaffMember:
        """A new account. StaffRuleError when a rule refuses it (the message says which)."""
        role = _role(role)
        check_name(name)  # the wording of a bad name before the slow hashing
        secrets = {Secret.PASSCODE: check_passcode(passcode)}
        if badge is not None:
            secrets[Secret.BADGE] = check_badge(badge)
        hashed = {kind: self._hash(kind, secret) for kind, secret in secrets.items()}
        with self._db.write() as conn:
            manager_exists = self._authorize(conn, by)
            _refuse(first_account_problem(role, manager_exists=manager_exists))
            clean = check_name(name, taken=_active_names(conn))
            for kind, secret in secrets.items():
                _refuse_taken(conn, kind, secret, hashed[kind][1], except_id=None)
            passcode_hash, passcode_tag = hashed[Secret.PASSCODE]
            badge_hash, badge_tag = hashed.get(Secret.BADGE, (None, None))
            cursor = _guarded(conn, "INSERT INTO staff (name, name_key, role, passcode_hash, passcode_tag, badge_hash, "
                              "badge_tag, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                              (clean, name_key(clean), role.value, passcode_hash, passcode_tag, badge_hash, badge_tag,
                               self._clock.now().isoformat()))
            member = _member(conn, int(cursor.lastrowid or 0))
            assert member is not None  # just inserted, in this transaction
            detail = f"as {role.value}" + (", with a badge" if badge is not None else "")
            record_event(conn, self._clock.now(), by, "added", member, detail)
        return member

    def remove(self, member_id: int, *, by: Actor) -> StaffMember:
        """Mark the account removed (its name stays in history; it can no longer sign in)."""
        with self._db.write() as conn:
            self._authorize(conn, by)
            member = _active(conn, member_id)
            if member.is_manager:
                _refuse_last_manager(conn, member, "removed")
            conn.execute("UPDATE staff SET removed_at = ?, passcode_hash = '', passcode_tag = NULL, badge_hash = NULL, "
                         "badge_tag = NULL WHERE id = ?", (self._clock.now().isoformat(), member_id))
            record_event(conn, self._clock.now(), by, "removed", member)
            removed = _member(conn, member_id)
        assert removed is not None
        return removed

    def set_role(self, member_id: int, role: Role | str, *, by: Actor) -> StaffMember:
        """Make the account a cashier or a manager (never the last manager a cashier)."""
        role = _role(role)
        with self._db.write() as conn:
            self._authorize(conn, by)
            member = _active(conn, member_id)
            if member.role is role:
                return member
            if member.is_manager:
                _refuse_last_manager(conn, member, "made a cashier")
            conn.execute("UPDATE staff SET role = ? WHERE id = ?", (role.value, member_id))
            record_event(conn, self._clock.now(), by, "role changed", member, f"{member.role.value} to {role.value}")
            changed = _member(conn, member_id)
        assert changed is not None
        return changed

    def reset_passcode(self, member_id: int, passcode: str, *, by: Actor) -> None:
        """Give the account a new passcode; clears its lockout (a manager or IT has stepped in)."""
        self._replace_secret(Secret.PASSCODE, member_id, check_passcode(passcode), by)

    def set_badge(self, member_id: int, badge: str | None, *, by: Actor) -> None:
        """Give the account a badge (None: take its badge away)."""
        self._replace_secret(Secret.BADGE, member_id, None if badge is None else check_badge(badge), by)

    def unlock(self, member_id: int | None, *, by: Actor) -> Unlocked:
        """IT steps in for someone locked out: the account's wrong tries and lock (``member_id``;
        None: no account) and the terminal's sign-in lock, cleared in one transaction, each one
        that held anything written to the history. Their levels go back to zero too: IT has
        checked who asks, so the next slip earns the shortest lock again."""
        now = self._clock.epoch()
        with self._db.write() as conn:
            self._authorize(conn, by)
            member = _active(conn, member_id) if member_id is not None else None
            account = clear_lock(conn, "staff", member_id, now) if member_id is not None else None
            terminal = clear_lock(conn, "terminal_lock", 1, now)
            if account is not None:
                note_unlocked(conn, member.id if member is not None else 0)
                record_event(conn, self._clock.now(), by, "unlocked", member, was_text(account, now))
            if terminal is not None:
                record_event(conn, self._clock.now(), by, "unlocked", None,
                             "sign-in on this terminal: " + was_text(terminal, now))
        return Unlocked(member, account, terminal, now)

    def seed(self, accounts: Sequence[DemoAccount], *, by: Actor) -> bool:
        """Add ``accounts`` (managers first) when the file has no account at all; True when added.
        Training's demo staff list: two processes starting training at once add it once. Seeded
        already (every start of training but the first): nothing is hashed (4 scrypts, ~160 ms)."""
        with self._db.read() as conn:
            if conn.execute("SELECT 1 FROM staff").fetchone() is not None:
                return False
        rows = [(a, *self._hash(Secret.PASSCODE, check_passcode(a.passcode))) for a in accounts]
        with self._db.write() as conn:
            if conn.execute("SELECT 1 FROM staff").fetchone() is not None:
                return False
            for account, stored, tag in sorted(rows, key=lambda r: r[0].role is not Role.MANAGER):
                cursor = conn.execute(
                    "INSERT INTO staff (name, name_key, role, passcode_hash, passcode_tag, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (account.name, name_key(account.name), account.role.value, stored, tag,
                     self._clock.now().isoformat()))
                record_event(conn, self._clock.now(), by, "added", _member(conn, int(cursor.lastrowid or 0)),
                             f"as {account.role.value} (demo staff list)")
        return True

    # -- inside --------------------------------------------------------------------------------

    def _replace_secret(self, kind: Secret, member_id: int, secret: str | None, by: Actor) -> None:
        hash_column, tag_column, _ = _HASHED[kind]
        stored, tag = (None, None) if secret is None else self._hash(kind, secret)
        with self._db.write() as conn:
            self._authorize(conn, by)
            member = _active(conn, member_id)
            if secret is not None:
                _refuse_taken(conn, kind, secret, tag, except_id=member_id)
            unlock = ", failures = 0, locked_until = 0, level = 0" if kind is Secret.PASSCODE else ""
            _guarded(conn, f"UPDATE staff SET {hash_column} = ?, {tag_column} = ?{unlock} WHERE id = ?",
                     (stored, tag, member_id))
            if unlock:
                note_unlocked(conn, member_id)
            action = f"{kind.name.lower()} {'reset' if kind is Secret.PASSCODE else 'set'}"
            record_event(conn, self._clock.now(), by, action if secret is not None else "badge taken away", member)

    def _hash(self, kind: Secret, secret: str) -> tuple[str, str]:
        return slow_hash(secret).encode(), self._tagger.tag(kind, secret)

    def _authorize(self, conn: sqlite3.Connection, by: Actor) -> bool:
        """StaffRuleError unless ``by`` may change accounts now; returns whether a manager exists."""
        manager_exists = _has_manager(conn)
        actor_member = _member(conn, by.member_id) if by.member_id is not None else None
        _refuse(authority_problem(by, manager_exists=manager_exists, actor_member=actor_member))
        return manager_exists

    def _prepare_tags(self, key: bytes) -> Tagger:
        """This file's tag salt (made once), and its tags dropped when they were made under another key."""
        with self._db.write() as conn:
            salt = get_meta(conn, "tag_salt")
            if salt is None:
                salt = new_salt()
                set_meta(conn, "tag_salt", salt)
            create_link_tables(conn)
            tagger = Tagger(key, bytes.fromhex(salt))
            if get_meta(conn, "key_id") != tagger.key_id:
                # A lost or new keyring key: old tags find nobody. Accounts are then found by their
                # slow hash and tagged again at their next sign-in (lookup.py).
                conn.execute("UPDATE staff SET passcode_tag = NULL, badge_tag = NULL")
                set_meta(conn, "key_id", tagger.key_id)
        return tagger


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise StaffRuleError("A role is cashier or manager.") from None


def _refuse(problem: str | None) -> None:
    if problem:
        raise StaffRuleError(problem)


def _member(conn: sqlite3.Connection, member_id: int) -> StaffMember | None:
    row = conn.execute(f"SELECT {MEMBER_COLUMNS} FROM staff WHERE id = ?", (member_id,)).fetchone()
    return None if row is None else member_of(row)


def _active(conn: sqlite3.Connection, member_id: int) -> StaffMember:
    member = _member(conn, member_id)
    if member is None:
        raise StaffRuleError(f"There is no staff account {member_id}.")
    if member.removed:
        raise StaffRuleError(f"{member.name} (account {member_id}) was removed: nothing was changed.")
    return member


def _has_manager(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM staff WHERE role = 'manager' AND removed_at IS NULL").fetchone() is not None


def _active_names(conn: sqlite3.Connection) -> frozenset[str]:
    return frozenset(r[0] for r in conn.execute("SELECT name_key FROM staff WHERE removed_at IS NULL"))


def _refuse_last_manager(conn: sqlite3.Connection, member: StaffMember, what: str) -> None:
    (managers,) = conn.execute("SELECT COUNT(*) FROM staff WHERE role = 'manager' AND removed_at IS NULL").fetchone()
    if managers <= 1:
        raise StaffRuleError(f"{member.name} is the last manager and cannot be {what}: make another manager first.")


def _refuse_taken(conn: sqlite3.Connection, kind: Secret, secret: str, tag: str | None, *,
                  except_id: int | None) -> None:
    """StaffRuleError when another active account has this passcode (badge), never saying whose:
    by its tag, or by the slow hash of accounts not tagged yet."""
    hash_column, tag_column, taken = _HASHED[kind]
    rows = conn.execute(f"SELECT {hash_column} AS hash, {tag_column} AS tag FROM staff WHERE removed_at IS NULL "
                        f"AND id IS NOT ? AND {hash_column} IS NOT NULL AND ({tag_column} = ? OR {tag_column} IS NULL)",
                        (except_id, tag)).fetchall()
    if any(r["tag"] is not None or matches_text(r["hash"], secret) for r in rows):
        raise StaffRuleError(taken)


def _guarded(conn: sqlite3.Connection, sql: str, args: tuple[object, ...]) -> sqlite3.Cursor:
    """Run a write the unique indexes guard; their refusal in a person's words."""
    try:
        return conn.execute(sql, args)
    except sqlite3.IntegrityError as exc:
        text = str(exc)
        if "passcode_tag" in text:
            raise StaffRuleError(PASSCODE_TAKEN) from None
        if "badge_tag" in text:
            raise StaffRuleError(BADGE_TAKEN) from None
        raise StaffRuleError("There is already an active account with that name. Choose another name.") from None
