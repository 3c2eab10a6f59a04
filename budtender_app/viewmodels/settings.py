"""The manager's settings screen as a QObject: store profiles, their keys, and a connection test.

The API key goes to the OS keyring (CredentialStore) under the profile's name and nowhere else;
the rest of the profile goes to the settings file (SettingsStore). Nothing is saved anywhere
until the whole form is valid, and nothing at all when the keyring cannot be used.

``self.settings`` is only what the dialog shows. Every change is made by SettingsStore.update
on the file as it is at that moment, so the manager PIN (written by ManagerPinGuard after this
view model read the file) is never written back as it was.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from budtender_app.domain.actor import Approving
from budtender_app.domain.messages import Level
from budtender_app.domain.settings import (
    DEFAULT_BASE_URL,
    DEFAULT_IDLE_MINUTES,
    StoreProfile,
    change_note,
    check_store_name,
    same_name,
    validate_profile,
)
from budtender_app.domain.staff import NEEDS_MANAGER
from budtender_app.services.credentials import (
    CredentialError,
    Credentials,
    CredentialStore,
    KeyringUnavailable,
    normalize_api_key,
)
from budtender_app.services.settings_model import Settings
from budtender_app.services.settings_store import SettingsStore, SettingsUnreadable, SettingsWriteError
from budtender_app.viewmodels.connection_test import TEST_TIMEOUT, ConnectionCheck, ConnectionResult, ConnectionTester
from budtender_app.viewmodels.operation import BusyText, MessageLine, MessageText, Operations

if TYPE_CHECKING:  # psycopg loads with the hub page, when the settings open
    from budtender_app.viewmodels.hub_settings import HubSettingsViewModel

__all__ = ["TEST_TIMEOUT", "ConnectionResult", "ConnectionTester", "SettingsViewModel"]

log = logging.getLogger(__name__)

NEW_PROFILE_FIELDS: dict[str, str | bool] = {
    "name": "", "store_id": "", "uid": "", "base_url": DEFAULT_BASE_URL, "brand": "", "country": "US",
    "skip_pin": False, "idle_minutes": str(DEFAULT_IDLE_MINUTES), "transaction_pattern": "", "send_sales": False,
}
Fields = Mapping[str, str | bool]


class SettingsViewModel(QObject):
    """Store profiles for the settings dialog.

    ``connection_tester(profile, credentials)`` makes one cheap authenticated AIQ call and raises
    the AIQ domain errors (AuthRejected, NotFound, Unreachable, CertificateProblem, ...).
    Actions return None where a signal may call them (PySide6 6.12's refcount bug); save()
    returns a bool for direct callers. Read the outcome from the signals or the attributes.
    ``keyring_when_opened``: the keyring is first asked at ``reload`` (the dialog opening), not
    here (the app builds this at start, where each read is a D-Bus round trip).
    """

    profiles_changed = Signal()  # the list, or which one is active, changed
    editing_changed = Signal()  # another profile (or a new one) is in the form: refill it
    errors_changed = Signal(dict)  # {field: message}; "api_key" for the key
    message_changed = Signal(str, str)  # (Level, text)
    connection_result = Signal(str, str)  # (ConnectionResult, text); CLEAR clears the line
    busy_changed = Signal(str)  # progress text; "" when nothing is in flight
    confirm_needed = Signal(str)  # save(confirmed=False) stopped: the question to ask the manager
    busy = BusyText()  # what is in flight, in words; "" when nothing is
    message = MessageText()  # (Level, text) the screen shows now

    def __init__(
        self,
        store: SettingsStore,
        credentials: CredentialStore,
        connection_tester: ConnectionTester,
        parent: QObject | None = None,
        *,
        after_change: Callable[[], str] | None = None,
        audit: Callable[[str], None] | None = None,
        approving: Approving | None = None,
        keyring_when_opened: bool = False,
    ) -> None:
        super().__init__(parent)
        #: Called after each change is on disk: moves the running counter to it (profile_switch.py)
        #: and returns what to say about that; ``switch_note`` keeps the last answer.
        self._after_change = after_change
        self.follows_changes = after_change is not None
        self.switch_note = ""
        self._store = store
        #: Writes a saved change to the audit trail (app.py: a "settings_changed" journal event by the
        #: person acting); None: not recorded (tests, the command line's own tools).
        self._audit = audit
        #: With staff sign-in: the manager who approved opening the settings; a change none
        #: approved is refused here (a role is enforced where the change is made). None: no sign-in.
        self._approving = approving
        self._credentials = credentials
        self._tester = connection_tester
        self._check = ConnectionCheck(self)
        self._line = MessageLine(self.message_changed.emit)
        self._ops = Operations(self.busy_changed.emit, self._line, on_crash=self._crashed)
        self.editing: str | None = None  # the stored profile in the form; None: a new one
        self.key_stored = False  # the keyring has a key for the profile in the form
        self.errors: dict[str, str] = {}
        self.unreadable = ""  # why the settings file cannot be read; "" when it can
        self.keyring_problem = ""  # why no key can be saved or read; "" when the keyring works
        self._refused = ""  # the form (hashed) whose key the last test saw AIQ refuse
        #: Makes the Store hub page's view model (hub_wiring.HubControl.settings_page); None: no such page.
        self.hub_page: Callable[[], HubSettingsViewModel] | None = None
        self.settings: Settings = self._read()
        self._first_look(keyring_when_opened)

    # -- what the dialog shows ---------------------------------------------------------------

    @property
    def profiles(self) -> tuple[StoreProfile, ...]:
        """Every store profile in the settings file, as last read."""
        return self.settings.profiles

    @property
    def active_name(self) -> str | None:
        """The profile the counter uses (None when there is none)."""
        return self.settings.active

    def form_fields(self) -> dict[str, str | bool]:
        """The fields of the profile being edited; a new profile's defaults when none is."""
        profile = self.settings.profile(self.editing)
        return profile.as_fields() if profile else dict(NEW_PROFILE_FIELDS)

    # -- actions -----------------------------------------------------------------------------

    def reload(self) -> None:
        """Show the file as it is now (another process may have changed it)."""
        self.settings = self._read()
        self._check_keyring()
        self.profiles_changed.emit()
        self.edit(self.editing if self.settings.profile(self.editing) else self.settings.active)

    def edit(self, name: str | None) -> None:
        """Put the named profile in the form (None: a new, empty one)."""
        profile = self.settings.profile(name)
        self.editing = profile.name if profile else None
        self.key_stored = False
        self._refused = ""
        self._say(Level.ERROR if self.unreadable else Level.CLEAR, self.unreadable)  # that one stays until it is fixed
        if profile is not None and not self.keyring_problem:
            try:
                self.key_stored = self._credentials.load(profile.name) is not None
            except (KeyringUnavailable, CredentialError) as exc:
                self._say(Level.ERROR, str(exc))
        self.connection_result.emit(ConnectionResult.CLEAR, "")
        self.editing_changed.emit()
        self.validate(self.form_fields(), "")

    def validate(self, fields: Fields, api_key_text: str | None = None) -> dict[str, str]:
        """The form's errors by field (the key's too when given); emits errors_changed."""
        _, errs = validate_profile(fields, other_names=self._other_names())
        if api_key_text is not None:
            problem = self._key_problem(api_key_text)
            if problem:
                errs["api_key"] = problem
        self.errors = errs
        self.errors_changed.emit(dict(errs))
        return errs

    def save(self, fields: Fields, api_key_text: str, confirmed: bool = False) -> bool:
        """Key to the keyring, then the profile to the file: both, or (as far as can be) neither.

        A key the last test saw refused by AIQ is saved only ``confirmed``; unconfirmed,
        confirm_needed says what to ask and nothing is saved."""
        if not self._approved():
            return False
        if self.validate(fields, api_key_text):
            self._say(Level.ERROR, self.tr("Fix the fields marked in red. Nothing was saved."))
            return False
        if not confirmed and self._refused and self._refused == _fingerprint(fields, api_key_text):
            self.confirm_needed.emit(self.tr(
                "This API key was Refused by AIQ at the test just now. Save it anyway?"))
            return False
        profile, _ = validate_profile(fields, other_names=self._other_names())
        assert profile is not None  # validate() just said so
        old_name = self.editing
        before = self.settings.profile(old_name) if old_name is not None else None
        try:
            previous = self._stored(profile.name)
            key = self._key_to_save(api_key_text, old_name)
            self._credentials.save(profile.name, Credentials(profile.uid, key))
        except (KeyringUnavailable, CredentialError) as exc:
            self._say(Level.ERROR, str(exc))
            return False
        try:
            self.settings = self._store.update(lambda current: _with_saved(current, profile, old_name))
        except (SettingsWriteError, ValueError) as exc:  # ValueError: the name was taken meanwhile
            self._undo_key(profile.name, previous)
            self._say(Level.ERROR, str(exc))
            return False
        if old_name is not None and not same_name(old_name, profile.name):
            self._forget_key(old_name)
        self._record(change_note(before, profile, key_replaced=previous is None or previous.api_key != key))
        note = self._switch()
        self.profiles_changed.emit()
        self.edit(profile.name)
        self._say(Level.OK, self.tr("Saved {name}. Its API key is in {keyring}, not in any file.").format(
            name=profile.name, keyring=self._keyring_name()) + note)
        return True

    def delete(self, name: str) -> None:
        """Remove the profile and its key. Nothing is removed when the keyring cannot be used."""
        profile = self.settings.profile(name)
        if profile is None or not self._approved():
            return
        try:
            self._credentials.clear(profile.name)
        except KeyringUnavailable as exc:
            self._say(Level.ERROR, str(exc))
            return
        if not self._write(lambda current: current.without_profile(profile.name)):
            return
        self._record(f"store profile {profile.name} removed, with its API key")
        note = self._switch()
        self.profiles_changed.emit()
        self.edit(self.settings.active)
        self._say(Level.INFO, self.tr("Removed {name} and its API key.").format(name=profile.name) + note)

    def set_active(self, name: str) -> None:
        """Make the named profile the one the counter uses."""
        if self.settings.profile(name) is None or not self._approved():
            return
        if self._write(lambda current: current.with_active(name)):
            self._record(f"the counter now uses store profile {name}")
            self._switch()
            self.profiles_changed.emit()
            self._say(Level.INFO, self.switch_note or self.tr("The counter now uses {name}.").format(
                name=self.settings.active))

    async def test_connection(self, fields: Fields, api_key_text: str) -> None:
        """One cheap AIQ call with the form as typed; emits connection_result(ConnectionResult, text)
        (INVALID when the form cannot be tested yet). A new test cancels one still running."""
        self._ops.replace_with_current()
        if self.validate(fields, api_key_text):
            self.connection_result.emit(ConnectionResult.INVALID, self.tr("Fix the fields marked in red first."))
            return
        profile, _ = validate_profile(fields, other_names=self._other_names())
        assert profile is not None  # validate() just said so
        try:
            credentials = Credentials(profile.uid, self._key_to_save(api_key_text, self.editing))
        except (KeyringUnavailable, CredentialError) as exc:
            self.connection_result.emit(ConnectionResult.ERROR, str(exc))
            return
        with self._ops.showing(self.tr("Testing the connection to AIQ…")):
            kind, text = await self._check.run(self._tester, profile, credentials)
        self._refused = _fingerprint(fields, api_key_text) if kind is ConnectionResult.AUTH else ""
        self.connection_result.emit(kind, text)

    # -- inside ------------------------------------------------------------------------------

    def _switch(self) -> str:
        """The running counter told of the change; " " and what it said (or "" when nothing)."""
        self.switch_note = self._after_change() if self._after_change is not None else ""
        return f" {self.switch_note}" if self.switch_note else ""

    def _key_problem(self, api_key_text: str) -> str | None:
        if not api_key_text.strip() and self.key_stored:
            return None  # empty means: keep the stored key
        try:
            normalize_api_key(api_key_text)
        except CredentialError as exc:
            return str(exc)
        return None

    def _key_to_save(self, api_key_text: str, stored_under: str | None) -> str:
        """The typed key, or the stored one when the field was left empty to keep it."""
        if api_key_text.strip() or stored_under is None:
            return normalize_api_key(api_key_text)
        stored = self._credentials.load(stored_under)
        if stored is None:
            raise CredentialError(self.tr("No API key is stored for {name} any more: paste it again.").format(
                name=stored_under))
        return stored.api_key

    def _stored(self, name: str) -> Credentials | None:
        """What the keyring holds for the store now; None for nothing or a damaged entry."""
        try:
            return self._credentials.load(name)
        except CredentialError:
            return None  # damaged: the save about to happen replaces it

    def _undo_key(self, name: str, previous: Credentials | None) -> None:
        try:
            if previous is None:
                self._credentials.clear(name)
            else:
                self._credentials.save(name, previous)
        except KeyringUnavailable:
            log.warning("Could not put back the keyring entry for store %r after a failed save", name)

    def _forget_key(self, name: str) -> None:
        try:
            self._credentials.clear(name)
        except KeyringUnavailable:
            log.warning("Could not remove the old keyring entry of renamed store %r", name)

    def _first_look(self, keyring_when_opened: bool) -> None:
        if keyring_when_opened:  # app.py: the dialog's ``reload`` asks the keyring, not the start
            self.editing = self.settings.active if self.settings.profile(self.settings.active) else None
            return
        self._check_keyring()
        self.edit(self.settings.active)

    def _check_keyring(self) -> None:
        """Find out before the manager types a key that it could not be kept."""
        try:
            self._credentials.ensure_usable()
        except KeyringUnavailable as exc:
            self.keyring_problem = str(exc)
        else:
            self.keyring_problem = ""

    def _read(self) -> Settings:
        try:
            settings = self._store.read()
        except SettingsUnreadable as exc:
            self.unreadable = str(exc)
            self._say(Level.ERROR, self.unreadable)
            return Settings()
        self.unreadable = ""
        return settings

    def _write(self, change: Callable[[Settings], Settings]) -> bool:
        try:
            self.settings = self._store.update(change)
        except (SettingsWriteError, KeyError) as exc:  # KeyError: that store was removed meanwhile
            self._say(Level.ERROR, str(exc) if isinstance(exc, SettingsWriteError) else self.tr(
                "That store is no longer in the settings file."))
            return False
        return True

    def _approved(self) -> bool:
        """A manager approved this change (always so without staff sign-in); else says so."""
        if self._approving is None or self._approving() is not None:
            return True
        log.warning("settings change refused: no manager approved it")
        self._say(Level.ERROR, self.tr(NEEDS_MANAGER))
        return False

    def _record(self, note: str) -> None:
        """The saved change on the audit trail; the save itself stands when that fails (said in the log)."""
        if self._audit is None:
            return
        try:
            self._audit(note)
        except Exception:
            log.exception("the settings change could not be written to the audit trail")

    def _keyring_name(self) -> str:
        try:
            return self._credentials.backend_name
        except KeyringUnavailable:
            return self.tr("the keyring")

    def _other_names(self) -> list[str]:
        return [p.name for p in self.settings.profiles if not same_name(p.name, self.editing or "")]

    def _say(self, level: Level, text: str) -> None:
        self._line.say(level, text)

    def _crashed(self, exc: BaseException) -> None:
        log.error("unexpected failure in the settings screen", exc_info=exc)


def _with_saved(current: Settings, profile: StoreProfile, old_name: str | None) -> Settings:
    """The settings on disk with the form's profile saved in; ValueError when, in the file as it
    is now, another store already has its name."""
    others = [p.name for p in current.profiles if old_name is None or not same_name(p.name, old_name)]
    check_store_name(profile.name, others)  # the form's own rule, against the file as it is now
    if old_name is None or same_name(old_name, profile.name):
        return current.with_profile(profile)
    was_active = same_name(current.active or "", old_name)
    renamed = current.without_profile(old_name).with_profile(profile)
    return renamed.with_active(profile.name) if was_active else renamed


def _fingerprint(fields: Fields, api_key_text: str) -> str:
    """The form as typed, hashed: enough to know it is unchanged without keeping another copy of the key."""
    text = repr(sorted((k, str(v)) for k, v in fields.items())) + "\0" + api_key_text
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
