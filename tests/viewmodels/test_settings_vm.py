"""The settings view model: profiles and keys saved together or not at all, tests in words."""

from __future__ import annotations

import asyncio

import pytest
from keyring.backends import fail

from budtender_app.domain import errors
from budtender_app.services import settings_store
from budtender_app.services.credentials import SERVICE, Credentials, CredentialStore
from budtender_app.services.settings_store import SettingsStore
from budtender_app.viewmodels import connection_test
from budtender_app.viewmodels.settings import SettingsViewModel
from tests.helpers.memory_keyring import MemoryKeyring

KEY = "aiqKEY0123456789abcdWXYZ"
FORM = {"name": "Main St", "store_id": "4411", "uid": "1234", "base_url": "https://lab.alpineiq.com/",
        "brand": "Green Leaf", "country": "US", "skip_pin": False, "signup_url": "", "wallet_url": "",
        "transaction_pattern": ""}


class FakeTester:
    """Stands in for "build an AiqClient and call check_connection"."""

    def __init__(self) -> None:
        self.error: BaseException | None = None
        self.calls: list[tuple] = []
        self.gate: asyncio.Future | None = None

    async def __call__(self, profile, credentials) -> None:
        self.calls.append((profile, credentials))
        if self.gate is not None:
            await asyncio.shield(self.gate)  # one gate for every call: a cancelled call leaves it open
        if self.error is not None:
            raise self.error


class Recorder:
    def __init__(self, signal) -> None:
        self.seen: list[tuple] = []
        signal.connect(self._on_emit)

    def _on_emit(self, *args) -> None:
        self.seen.append(args)


@pytest.fixture
def ring():
    return MemoryKeyring()


@pytest.fixture
def tester():
    return FakeTester()


@pytest.fixture
def vm(ring, tester):
    return SettingsViewModel(SettingsStore(), CredentialStore(ring), tester)


def stored_key(ring, name="Main St"):
    return ring.entries.get((SERVICE, f"{name}:api-key"))


def form(**changes):
    return {**FORM, **changes}


def test_a_new_terminal_starts_on_an_empty_form_that_says_what_is_missing(vm):
    assert vm.profiles == () and vm.editing is None and not vm.key_stored
    assert vm.form_fields()["base_url"] == "https://lab.alpineiq.com"
    assert set(vm.errors) == {"name", "store_id", "uid", "brand", "api_key"}


def test_saving_puts_the_key_in_the_keyring_and_the_rest_in_the_file(vm, ring):
    profiles = Recorder(vm.profiles_changed)
    assert vm.save(FORM, f"  {KEY}\r\n") is True  # pasted with spaces and a line break
    assert stored_key(ring) == KEY
    assert ring.entries[(SERVICE, "Main St:uid")] == "1234"
    [saved] = SettingsStore().load().profiles
    assert saved.name == "Main St" and saved.base_url == "https://lab.alpineiq.com"
    assert KEY not in SettingsStore().path.read_text("utf-8")
    assert vm.editing == "Main St" and vm.key_stored and vm.active_name == "Main St"
    assert profiles.seen
    level, text = vm.message
    assert level == "ok" and text.startswith("Saved Main St.") and KEY not in text


@pytest.mark.parametrize(("changes", "key", "field"), [
    ({"uid": ""}, KEY, "uid"),
    ({"uid": "12a4"}, KEY, "uid"),
    ({"store_id": "x"}, KEY, "store_id"),
    ({"base_url": "http://lab.alpineiq.com"}, KEY, "base_url"),
    ({"country": "MX"}, KEY, "country"),
    ({"brand": ""}, KEY, "brand"),
    ({}, "aiqKEY 0123", "api_key"),  # a key with a space inside is a bad paste
    ({}, "", "api_key"),  # no key stored yet: one is needed
])
def test_nothing_is_saved_anywhere_while_the_form_is_invalid(vm, ring, changes, key, field):
    errors_seen = Recorder(vm.errors_changed)
    assert vm.save(form(**changes), key) is False
    assert set(errors_seen.seen[-1][0]) == {field}
    assert vm.message == ("error", "Fix the fields marked in red. Nothing was saved.")
    assert ring.entries == {}
    assert not SettingsStore().path.exists()


def test_validate_reports_field_errors_as_the_manager_types(vm):
    assert vm.validate(form(uid="12")) == {}
    assert "digits only" in vm.validate(form(uid="12b"))["uid"]
    assert "api_key" in vm.validate(form(), "")
    assert "inside" in vm.validate(form(), "ab cd")["api_key"]
    assert vm.validate(form(), KEY) == {}


def test_an_empty_key_keeps_the_stored_one(vm, ring):
    vm.save(FORM, KEY)
    assert vm.validate(form(brand="Green Leaf Co"), "") == {}
    assert vm.save(form(brand="Green Leaf Co", uid="5678"), "") is True
    assert stored_key(ring) == KEY
    assert ring.entries[(SERVICE, "Main St:uid")] == "5678"
    assert SettingsStore().load().profiles[0].brand == "Green Leaf Co"


def test_a_new_key_replaces_the_stored_one(vm, ring):
    vm.save(FORM, KEY)
    vm.save(FORM, "NEWkey9876543210")
    assert stored_key(ring) == "NEWkey9876543210"


def test_with_no_usable_keyring_nothing_is_saved_anywhere(tester):
    vm = SettingsViewModel(SettingsStore(), CredentialStore(fail.Keyring()), tester)
    assert vm.save(FORM, KEY) is False
    level, text = vm.message
    assert level == "error" and "no secure password store" in text and "gnome-keyring" in text
    assert KEY not in text
    assert not SettingsStore().path.exists()


def test_a_failed_file_write_takes_the_new_key_back_out_of_the_keyring(vm, ring, monkeypatch):
    vm.save(FORM, KEY)

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(settings_store.os, "fsync", full_disk)
    assert vm.save(form(uid="5678"), "OTHERkey12345678") is False
    assert "No space left" in vm.message[1]
    assert stored_key(ring) == KEY and ring.entries[(SERVICE, "Main St:uid")] == "1234"
    assert vm.save(form(name="Airport"), "OTHERkey12345678") is False
    assert stored_key(ring, "Airport") is None


def test_renaming_a_store_moves_its_key_and_keeps_it_active(vm, ring):
    vm.save(FORM, KEY)
    assert vm.save(form(name="Main Street"), "") is True
    assert stored_key(ring, "Main Street") == KEY
    assert stored_key(ring, "Main St") is None
    settings = SettingsStore().load()
    assert settings.names == ("Main Street",) and settings.active == "Main Street"


def test_a_second_store_cannot_take_a_name_in_use(vm):
    vm.save(FORM, KEY)
    vm.edit(None)
    assert "already has a store named MAIN ST" in vm.validate(form(name="MAIN ST"), KEY)["name"]


def test_several_stores_one_active(vm, ring):
    vm.save(FORM, KEY)
    vm.edit(None)
    vm.save(form(name="Airport", store_id="4412"), "AIRPORTkey123456")
    assert vm.active_name == "Main St"
    changed = Recorder(vm.profiles_changed)
    vm.set_active("Airport")
    assert changed.seen and SettingsStore().load().active == "Airport"
    assert vm.message == ("info", "The counter now uses Airport.")
    vm.delete("Airport")
    assert stored_key(ring, "Airport") is None
    settings = SettingsStore().load()
    assert settings.names == ("Main St",) and settings.active == "Main St"
    assert (SERVICE, "Airport:uid") not in ring.entries
    assert vm.editing == "Main St"


def test_deleting_with_no_usable_keyring_removes_nothing(ring, tester):
    SettingsViewModel(SettingsStore(), CredentialStore(ring), tester).save(FORM, KEY)
    vm = SettingsViewModel(SettingsStore(), CredentialStore(fail.Keyring()), tester)
    vm.delete("Main St")
    assert vm.message[0] == "error"
    assert SettingsStore().load().names == ("Main St",)


def test_editing_a_stored_store_fills_the_form_and_knows_its_key_is_stored(vm):
    vm.save(form(skip_pin=True, country="CA"), KEY)
    vm.edit(None)
    assert vm.form_fields()["name"] == "" and not vm.key_stored
    edited = Recorder(vm.editing_changed)
    vm.edit("main st")
    assert edited.seen and vm.editing == "Main St" and vm.key_stored
    assert vm.form_fields() == {**form(skip_pin=True, country="CA"), "base_url": "https://lab.alpineiq.com",
                                 "idle_minutes": "10", "send_sales": False}


# -- the connection test ----------------------------------------------------------------------

@pytest.mark.asyncio
@pytest.mark.logs_expected(r"viewmodels\.connection_test: The connection test failed unexpectedly: RuntimeError$")
@pytest.mark.parametrize(("error", "kind", "starts"), [
    (None, "works", "Works"),
    (errors.AuthRejected("AIQ rejected this store's API key."), "auth", "API key Refused by AIQ"),
    (errors.NotFound("AIQ does not know this UID."), "not_found", "UID or store not found"),
    (errors.Unreachable("Cannot reach AIQ."), "unreachable", "AIQ unreachable"),
    (errors.CertificateProblem("refused"), "certificate", "Certificate problem"),
    (errors.ServerError("AIQ is having trouble (HTTP 503). Try again in a moment."), "error",
     "AIQ is having trouble (HTTP 503)"),
    (RuntimeError(f"bug with {KEY}"), "error", "The test could not run (RuntimeError)"),
])
async def test_the_connection_test_answers_in_words(vm, tester, error, kind, starts):
    tester.error = error
    results = Recorder(vm.connection_result)
    busy = Recorder(vm.busy_changed)
    await vm.test_connection(FORM, f" {KEY}\n")
    assert results.seen[-1][0] == kind
    assert results.seen[-1][1].startswith(starts)
    assert KEY not in results.seen[-1][1]
    assert [b[0] for b in busy.seen] == ["Testing the connection to AIQ…", ""]
    [(profile, credentials)] = tester.calls
    assert profile.base_url == "https://lab.alpineiq.com" and credentials == Credentials("1234", KEY)


@pytest.mark.asyncio
async def test_the_connection_test_uses_the_stored_key_when_the_field_is_empty(vm, tester):
    vm.save(FORM, KEY)
    await vm.test_connection(form(uid="999"), "")
    assert tester.calls[0][1] == Credentials("999", KEY)


@pytest.mark.asyncio
async def test_an_invalid_form_is_not_tested(vm, tester):
    results = Recorder(vm.connection_result)
    await vm.test_connection(form(uid=""), KEY)
    assert results.seen == [("invalid", "Fix the fields marked in red first.")]
    assert tester.calls == []


@pytest.mark.asyncio
async def test_a_test_with_no_answer_says_aiq_is_unreachable(vm, tester, monkeypatch):
    monkeypatch.setattr(connection_test, "TEST_TIMEOUT", 0.05)
    tester.gate = asyncio.get_running_loop().create_future()  # never answers
    results = Recorder(vm.connection_result)
    await vm.test_connection(FORM, KEY)
    assert results.seen[-1][0] == "unreachable" and "no answer" in results.seen[-1][1]
    assert vm.busy == ""


@pytest.mark.asyncio
async def test_a_new_test_cancels_the_one_still_running(vm, tester):
    tester.gate = asyncio.get_running_loop().create_future()
    results = Recorder(vm.connection_result)
    first = asyncio.ensure_future(vm.test_connection(FORM, KEY))
    await asyncio.sleep(0)
    assert vm.busy
    second = asyncio.ensure_future(vm.test_connection(FORM, KEY))
    await asyncio.sleep(0)
    tester.gate.set_result(None)
    await second
    assert first.cancelled()
    works = ("Works: AIQ accepted the API key for UID 1234. AIQ names no store in its answer: "
             "check this UID is Main St's.")
    assert results.seen == [("works", works)]
    assert vm.busy == ""


# -- the manager PIN shares the file: no change may write back a copy read earlier ---------------

def test_saving_deleting_and_switching_stores_keep_a_pin_chosen_after_the_screen_read_the_file(vm, ring):
    from budtender_app.services.manager_pin import ManagerPinGuard

    guard = ManagerPinGuard(SettingsStore())
    guard.set_pin("4826")  # the first F12, after the view model was built at start
    assert vm.save(FORM, KEY)
    assert guard.is_set(), "saving a store wiped the manager PIN"
    assert vm.save(form(name="Airport", store_id="4412"), KEY)
    vm.set_active("Airport")
    vm.delete("Main St")
    assert guard.is_set() and guard.check("4826").ok
    assert SettingsStore().read().names == ("Airport",)


def test_a_store_added_elsewhere_meanwhile_is_kept_and_its_name_not_taken_twice(vm, ring):
    from budtender_app.domain.settings import StoreProfile
    from budtender_app.services.settings_store import Settings

    other = StoreProfile("Main St", "9", "9", brand="Other")  # saved by another window after vm read the file
    SettingsStore().update(lambda s: s.with_profile(StoreProfile("Uptown", "7", "7", brand="b")).with_profile(other))
    assert vm.save(FORM, KEY) is False
    assert vm.message == ("error", "This terminal already has a store named Main St. Pick another name.")
    assert stored_key(ring) is None, "the key put in the keyring for it is taken back"
    assert SettingsStore().read().profiles[1] == other
    assert vm.save(form(name="Airport"), KEY)
    assert SettingsStore().read().names == ("Uptown", "Main St", "Airport") != Settings().names


def test_an_unreadable_file_is_never_replaced_by_a_saved_store(ring, tester):
    store = SettingsStore()
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(b"\xff not json")
    vm = SettingsViewModel(store, CredentialStore(ring), tester)
    assert "budtender-app settings reset" in vm.unreadable and vm.message[0] == "error"
    assert vm.save(FORM, KEY) is False
    level, text = vm.message
    assert level == "error" and text.startswith("The settings file could not be read")
    assert ring.entries == {} and store.path.read_bytes() == b"\xff not json"


def test_an_unusable_keyring_is_known_before_anything_is_typed(tester):
    vm = SettingsViewModel(SettingsStore(), CredentialStore(fail.Keyring()), tester)
    assert "no secure password store" in vm.keyring_problem


def test_a_usable_keyring_has_no_problem(vm):
    assert vm.keyring_problem == ""


@pytest.mark.asyncio
async def test_a_key_refused_by_aiq_is_saved_only_when_confirmed(vm, tester, ring):
    tester.error = errors.AuthRejected("no")
    await vm.test_connection(FORM, KEY)
    asked = []
    vm.confirm_needed.connect(asked.append)
    assert vm.save(FORM, KEY) is False
    assert asked and "Refused by AIQ" in asked[0] and KEY not in asked[0]
    assert not ring.entries
    assert vm.save(FORM, KEY, confirmed=True) is True
    assert stored_key(ring) == KEY


def test_a_saved_store_is_on_the_audit_trail_by_field_name_never_the_key(tmp_path, ring, tester):
    """Issue 13: who changed the store's AIQ settings, and which fields (never the API key's value)."""
    from budtender_app.domain.actor import Actor
    from tests.helpers import make_journal

    manager = Actor("2", "Mo Manager")
    with make_journal(tmp_path) as journal:
        vm = SettingsViewModel(SettingsStore(), CredentialStore(ring), tester,
                               audit=lambda note: journal.record_event("settings_changed", staff=manager, detail=note))
        assert vm.save(FORM, KEY)
        assert vm.save(form(uid=FORM["uid"] + "9", base_url="https://api.alpineiq.com"), "")
        rows = [r for r in journal.audit.rows() if r.event == "settings_changed"]
        assert [r.staff for r in rows] == [manager, manager]
        assert rows[0].detail == f"store {FORM['name']!r} added; API key stored"
        assert rows[1].detail == f"store {FORM['name']!r}: uid, base_url changed"
        assert all(KEY not in r.detail for r in rows) and journal.verify_chain().ok


@pytest.mark.logs_expected(r"settings change refused: no manager approved it")
def test_with_staff_sign_in_the_settings_change_only_with_a_managers_approval(ring, tester):
    """Issue 13: the view model refuses a change no manager approved, whatever the dialog shows."""
    from budtender_app.domain.actor import Actor
    from budtender_app.domain.messages import Level
    from budtender_app.domain.staff import NEEDS_MANAGER

    approver: list[Actor] = []
    audit: list[str] = []
    vm = SettingsViewModel(SettingsStore(), CredentialStore(ring), tester, audit=audit.append,
                           approving=lambda: approver[0] if approver else None)
    assert vm.save(FORM, KEY) is False and vm.message == (Level.ERROR, NEEDS_MANAGER)
    assert stored_key(ring) is None and vm.profiles == () and audit == []
    approver.append(Actor("3", "Dana Boss"))
    assert vm.save(FORM, KEY) is True and stored_key(ring) is not None and len(audit) == 1
    approver.clear()
    vm.delete("Main St")
    assert vm.message == (Level.ERROR, NEEDS_MANAGER) and [p.name for p in vm.profiles] == ["Main St"]


def test_the_idle_time_is_checked_as_typed_and_saved_with_the_store(vm):
    assert vm.form_fields()["idle_minutes"] == "10"
    assert "idle_minutes" in vm.validate(form(idle_minutes="0"), KEY)
    assert vm.save(form(idle_minutes="90"), KEY) is False
    assert SettingsStore().load().profiles == ()
    assert vm.save(form(idle_minutes="25"), KEY) is True
    [saved] = SettingsStore().load().profiles
    assert saved.idle_minutes == 25
    assert vm.form_fields()["idle_minutes"] == "25"


def test_a_settings_file_from_before_the_idle_time_reads_as_ten_minutes(vm):
    import json

    assert vm.save(FORM, KEY) is True
    path = SettingsStore().path
    data = json.loads(path.read_text("utf-8"))
    assert data["profiles"][0]["idle_minutes"] == 10
    del data["profiles"][0]["idle_minutes"]
    path.write_text(json.dumps(data), "utf-8")
    [profile] = SettingsStore().read().profiles
    assert profile.idle_minutes == 10


class CountingKeyring(MemoryKeyring):
    """Counts reads: each is a D-Bus round trip on a till (15-135 ms)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get_password(self, service, username):
        self.reads += 1
        return super().get_password(service, username)


def test_the_apps_settings_view_model_asks_the_keyring_only_when_the_dialog_opens(tester):
    # app.py builds it at start (hub_wiring.manager_settings); the dialog's reload reads the key.
    ring = CountingKeyring()
    SettingsViewModel(SettingsStore(), CredentialStore(ring), tester).save(FORM, KEY)
    ring.reads = 0
    vm = SettingsViewModel(SettingsStore(), CredentialStore(ring), tester, keyring_when_opened=True)
    assert ring.reads == 0 and vm.editing == "Main St" and not vm.key_stored
    vm.reload()  # what SettingsDialog does as it opens
    assert ring.reads > 0 and vm.editing == "Main St" and vm.key_stored and vm.keyring_problem == ""
