"""The settings dialog as a store manager uses it: type, see what is wrong, save, test."""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QLineEdit, QListWidget, QMessageBox, QWidget

from budtender_app.domain import errors
from budtender_app.services.credentials import SERVICE, CredentialStore
from budtender_app.services.settings_store import SettingsStore
from budtender_app.ui.manager.settings_dialog import SettingsDialog
from budtender_app.viewmodels.settings import SettingsViewModel
from tests.helpers import await_signal
from tests.helpers.memory_keyring import MemoryKeyring as DialogKeyring

# The faults these tests provoke are logged; any other WARNING/ERROR still fails (tests/helpers/logfail.py).
pytestmark = pytest.mark.logs_expected(r"Manager action refused: the settings file could not be read")

KEY = "aiqKEY0123456789abcdWXYZ"


class GatedTester:
    def __init__(self) -> None:
        self.error: Exception | None = None
        self.gate: asyncio.Future | None = None

    async def __call__(self, profile, credentials) -> None:
        if self.gate is not None:
            await asyncio.shield(self.gate)
        if self.error is not None:
            raise self.error


@pytest.fixture
def ring():
    return DialogKeyring()


@pytest.fixture
def tester():
    return GatedTester()


@pytest_asyncio.fixture
async def dialog(qtbot, ring, tester):
    vm = SettingsViewModel(SettingsStore(), CredentialStore(ring), tester)
    dlg = SettingsDialog(vm)
    qtbot.addWidget(dlg)
    dlg.open()
    qtbot.waitExposed(dlg)
    yield dlg
    dlg.done(0)
    await asyncio.sleep(0)  # let a cancelled connection test finish unwinding


def fill(qtbot, dlg, key=KEY, **values):
    typed = {"name": "Main St", "store_id": "4411", "uid": "1234", "brand": "Green Leaf", **values}
    for field, text in typed.items():
        dlg.form.edits[field].clear()
        qtbot.keyClicks(dlg.form.edits[field], text)
    dlg.form.api_key_edit.clear()
    qtbot.keyClicks(dlg.form.api_key_edit, key)


def shown_errors(dlg) -> dict[str, str]:
    return {f: label.text() for f, label in dlg.form.error_labels.items() if label.isVisible()}


@pytest.mark.asyncio
async def test_a_first_visit_opens_without_red_and_save_says_what_is_missing_under_each_field(qtbot, dialog):
    assert shown_errors(dialog) == {}  # nothing typed yet: nothing is wrong yet
    assert not dialog.findChild(QLabel, "keyring_problem_label").isVisible()
    assert dialog.form.edits["base_url"].text() == "https://lab.alpineiq.com"
    assert dialog.form.country_combo.currentText() == "United States"
    qtbot.mouseClick(dialog.findChild(QAbstractButton, "save_button"), Qt.MouseButton.LeftButton)
    errors_shown = shown_errors(dialog)
    assert set(errors_shown) == {"name", "store_id", "uid", "api_key", "brand"}
    assert "Settings > API & Tracking" in errors_shown["uid"]
    assert dialog.form.edits["uid"].accessibleDescription() == errors_shown["uid"]
    assert "Nothing was saved" in dialog.message_label.text()


@pytest.mark.asyncio
async def test_a_field_shows_its_error_once_edited_and_the_others_stay_quiet(qtbot, dialog):
    qtbot.keyClicks(dialog.form.edits["uid"], "12a")
    assert set(shown_errors(dialog)) == {"uid"}


@pytest.mark.asyncio
async def test_test_connection_shows_every_missing_field(qtbot, dialog):
    dialog.form.test_button.click()
    await asyncio.sleep(0)
    assert {"name", "uid", "api_key"} <= set(shown_errors(dialog))


@pytest.mark.asyncio
async def test_an_unusable_keyring_is_said_at_the_top_before_anything_is_typed(qtbot, tester):
    vm = SettingsViewModel(SettingsStore(), CredentialStore(fail.Keyring()), tester)
    dlg = SettingsDialog(vm)
    qtbot.addWidget(dlg)
    dlg.open()
    qtbot.waitExposed(dlg)
    banner = dlg.findChild(QLabel, "keyring_problem_label")
    assert banner.isVisible() and "no secure password store" in banner.text()
    assert banner.y() < dlg.findChild(QWidget, "store_form_scroll").y()  # above the form
    assert not dlg.findChild(QWidget, "store_form").isEnabled()
    assert not dlg.findChild(QAbstractButton, "save_button").isEnabled()
    assert shown_errors(dlg) == {}
    dlg.done(0)


@pytest.mark.asyncio
async def test_a_key_refused_by_aiq_is_saved_only_after_an_inline_confirmation(qtbot, dialog, tester, ring):
    fill(qtbot, dialog)
    tester.error = errors.AuthRejected("no")
    dialog.form.test_button.click()
    await await_signal(dialog._vm.connection_result)
    confirm = dialog.findChild(QWidget, "refused_key_confirm")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert confirm.isVisible() and "Refused by AIQ" in dialog.findChild(QLabel, "refused_key_confirm_label").text()
    assert not ring.entries  # nothing saved yet
    qtbot.mouseClick(dialog.findChild(QAbstractButton, "keep_editing_button"), Qt.MouseButton.LeftButton)
    assert not confirm.isVisible() and not ring.entries
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.findChild(QAbstractButton, "save_anyway_button"), Qt.MouseButton.LeftButton)
    assert ring.entries[(SERVICE, "Main St:api-key")] == KEY
    assert not confirm.isVisible()


@pytest.mark.asyncio
async def test_a_key_edited_after_the_refusal_saves_without_asking(qtbot, dialog, tester, ring):
    fill(qtbot, dialog)
    tester.error = errors.AuthRejected("no")
    dialog.form.test_button.click()
    await await_signal(dialog._vm.connection_result)
    dialog.form.api_key_edit.clear()
    qtbot.keyClicks(dialog.form.api_key_edit, "aiqNEW0123456789abcdWXYZ")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.findChild(QWidget, "refused_key_confirm").isVisible()
    assert ring.entries[(SERVICE, "Main St:api-key")] == "aiqNEW0123456789abcdWXYZ"


@pytest.mark.asyncio
async def test_typing_a_valid_form_enables_save_and_saving_stores_it(qtbot, dialog, ring):
    fill(qtbot, dialog, key=f"  {KEY}  ")
    assert shown_errors(dialog) == {}
    assert dialog.save_button.isEnabled()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert ring.entries[(SERVICE, "Main St:api-key")] == KEY
    assert dialog.profile_list.count() == 1
    assert dialog.profile_list.item(0).text() == "Main St  (at the counter)"
    assert dialog.profile_list.currentRow() == 0
    assert dialog.form.api_key_edit.text() == ""  # the key does not linger in the widget
    assert dialog.form.api_key_edit.placeholderText() == "stored — leave empty to keep"
    assert dialog.save_button.isEnabled()  # an empty key keeps the stored one
    assert dialog.message_label.text().startswith("Saved Main St.")
    assert dialog.message_label.property("level") == "ok"  # green: it worked


@pytest.mark.asyncio
async def test_a_wrong_field_shows_its_message_right_under_it_and_blocks_save(qtbot, dialog, ring):
    fill(qtbot, dialog, uid="12a4")
    assert set(shown_errors(dialog)) == {"uid"}
    assert "digits only" in dialog.form.error_labels["uid"].text()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not ring.entries
    dialog.form.edits["base_url"].clear()
    qtbot.keyClicks(dialog.form.edits["base_url"], "http://lab.alpineiq.com")
    assert set(shown_errors(dialog)) == {"uid", "base_url"}
    qtbot.keyClicks(dialog.form.api_key_edit, " more")
    assert "inside" in shown_errors(dialog)["api_key"]


@pytest.mark.asyncio
async def test_the_key_is_masked_while_typed(dialog):
    assert dialog.form.api_key_edit.echoMode() is QLineEdit.EchoMode.Password


@pytest.mark.asyncio
async def test_skipping_the_sms_pin_shows_a_warning(qtbot, dialog):
    assert not dialog.form.skip_pin_warning.isVisible()
    dialog.form.skip_pin_check.click()
    assert dialog.form.skip_pin_warning.isVisible()
    assert "anyone who knows a phone number could spend its points" in dialog.form.skip_pin_warning.text()
    dialog.form.skip_pin_check.click()
    assert not dialog.form.skip_pin_warning.isVisible()


@pytest.mark.asyncio
async def test_test_connection_shows_busy_then_the_result_in_words(qtbot, dialog, tester):
    fill(qtbot, dialog)
    tester.gate = asyncio.get_running_loop().create_future()
    tester.error = errors.AuthRejected("no")
    dialog.form.test_button.click()
    await await_signal(dialog._vm.busy_changed)
    assert dialog.form.busy_bar.isVisible() and not dialog.form.test_button.isEnabled()
    assert dialog.form.busy_label.text() == "Testing the connection to AIQ…"
    waiting = asyncio.ensure_future(await_signal(dialog._vm.connection_result))
    await asyncio.sleep(0)
    tester.gate.set_result(None)
    await waiting
    assert not dialog.form.busy_bar.isVisible() and dialog.form.test_button.isEnabled()
    assert dialog.form.result_label.isVisible()
    assert dialog.form.result_label.text().startswith("API key Refused by AIQ")


@pytest.mark.asyncio
async def test_a_connection_that_works_says_so(qtbot, dialog):
    fill(qtbot, dialog)
    dialog.form.test_button.click()
    await await_signal(dialog._vm.connection_result)
    assert dialog.form.result_label.text().startswith("Works")


@pytest.mark.asyncio
async def test_closing_the_dialog_stops_a_running_test(qtbot, dialog, tester):
    fill(qtbot, dialog)
    tester.gate = asyncio.get_running_loop().create_future()
    dialog.form.test_button.click()
    await await_signal(dialog._vm.busy_changed)
    task = dialog._test_task
    dialog.close_button.click()
    await asyncio.wait([task], timeout=2)
    assert task.cancelled() and dialog._vm.busy == ""


@pytest.mark.asyncio
async def test_add_make_active_and_delete_stores(qtbot, dialog, ring):
    fill(qtbot, dialog)
    dialog.save_button.click()
    dialog.add_button.click()
    assert dialog.form.edits["name"].text() == "" and dialog.profile_list.currentRow() == -1
    fill(qtbot, dialog, name="Airport", key="AIRPORTkey123456")
    dialog.save_button.click()
    assert [dialog.profile_list.item(i).text() for i in range(2)] == ["Main St  (at the counter)", "Airport"]
    assert dialog.activate_button.isEnabled()
    dialog.activate_button.click()
    assert dialog.profile_list.item(1).text() == "Airport  (at the counter)"
    assert not dialog.activate_button.isEnabled()
    dialog.delete_button.click()
    box = dialog.findChild(QMessageBox, "delete_confirm_box")
    assert box is not None and "Delete Airport" in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()
    assert dialog.profile_list.count() == 1
    assert (SERVICE, "Airport:api-key") not in ring.entries
    assert SettingsStore().load().active == "Main St"


@pytest.mark.asyncio
async def test_picking_a_store_in_the_list_puts_it_in_the_form(qtbot, dialog):
    fill(qtbot, dialog)
    dialog.save_button.click()
    dialog.add_button.click()
    dialog.profile_list.setCurrentRow(0)
    assert dialog.form.edits["name"].text() == "Main St" and dialog.form.edits["uid"].text() == "1234"


@pytest.mark.asyncio
async def test_every_interactive_widget_has_an_object_and_accessible_name(dialog):
    kinds = (QAbstractButton, QLineEdit, QComboBox, QListWidget)
    widgets = [w for kind in kinds for w in dialog.findChildren(kind)]
    widgets = [w for w in widgets if w.parent() is not None and type(w.parent()).__name__ != "QComboBox"]
    assert len(widgets) >= 14
    for widget in widgets:
        if widget.objectName().startswith("qt_"):
            continue  # Qt's own parts (e.g. a combo's inner view)
        assert widget.objectName(), widget
        assert widget.accessibleName(), widget.objectName()


# -- the counter window: the manager PIN and the store profiles share settings.json -------------

@pytest_asyncio.fixture
async def counter(qtbot, tmp_path, ring, tester):
    """The real window with the real manager view models, as app.py builds them."""
    import httpx

    from budtender_app.services.aiq_client import AiqClient, AiqConfig
    from budtender_app.services.manager_pin import ManagerPinGuard
    from budtender_app.services.redemption_sender import RedemptionSender
    from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID, Simulator
    from budtender_app.simulator.transport import SimulatorTransport
    from budtender_app.ui.main_window import MainWindow
    from budtender_app.viewmodels.manager_pin import ManagerPinViewModel
    from budtender_app.viewmodels.pending import PendingViewModel
    from budtender_app.viewmodels.redemption import RedemptionViewModel
    from tests.helpers import make_journal, wait_for_focus

    base = "https://simulator.invalid"
    http = httpx.AsyncClient(transport=SimulatorTransport(Simulator(base_url=base)))
    journal = make_journal(tmp_path)
    client = AiqClient(http, AiqConfig(base, DEMO_API_KEY, DEMO_UID))
    store = SettingsStore()
    guard = ManagerPinGuard(store)
    settings_vm = SettingsViewModel(store, CredentialStore(ring), tester)  # built at start, as in app.py
    vm = RedemptionViewModel(client, journal)
    win = MainWindow(vm, training=True, location="test", settings_vm=settings_vm,
                     make_pin_vm=lambda: ManagerPinViewModel(guard),
                     pending_vm=PendingViewModel(journal, client, RedemptionSender(client, journal)))
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitExposed(win)
    await wait_for_focus(win.cart_edit)
    yield win
    if win.manager_dialog is not None:
        win.manager_dialog.done(0)
    await vm.wait_idle()
    await http.aclose()
    journal.close()


def manager_pin_dialog(win):
    from budtender_app.ui.manager.manager_pin_dialog import ManagerPinDialog

    dlg = win.manager_dialog
    assert isinstance(dlg, ManagerPinDialog) and dlg.isVisible()
    return dlg


@pytest.mark.asyncio
async def test_saving_a_store_keeps_the_manager_pin_chosen_at_the_first_f12(qtbot, counter):
    """The reported bug: choose a PIN at the first F12, save a store, press F11: it asked to choose again."""
    win = counter
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F12)
    first = manager_pin_dialog(win)
    assert first.windowTitle() == "Choose a manager PIN"
    qtbot.keyClicks(first.pin_edit, "4826")
    qtbot.keyClicks(first.confirm_edit, "4826")
    qtbot.keyClick(first.pin_edit, Qt.Key.Key_Return)
    settings = win.manager_dialog
    assert isinstance(settings, SettingsDialog)
    fill(qtbot, settings)
    qtbot.mouseClick(settings.save_button, Qt.MouseButton.LeftButton)
    assert "Saved Main St" in settings.message_label.text()
    qtbot.mouseClick(settings.close_button, Qt.MouseButton.LeftButton)
    assert win.manager_dialog is None
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F11)
    ask = manager_pin_dialog(win)
    assert ask.windowTitle() == "Manager PIN" and not ask.confirm_edit.isVisible(), "it asks to choose a PIN again"
    qtbot.keyClicks(ask.pin_edit, "4826")
    qtbot.keyClick(ask.pin_edit, Qt.Key.Key_Return)
    assert win.manager_dialog.objectName() == "pending_dialog"
    saved = SettingsStore().read()
    assert saved.manager_pin is not None and saved.names == ("Main St",)


def make_unreadable(kind: str) -> bytes | None:
    path = SettingsStore().path
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "folder":
        path.mkdir()
        return None
    content = b'{"version": 1, "profiles": [], "manager_pin": {"salt": "c2FsdA==", "hash": \xff\xfe'
    path.write_bytes(content)
    return content


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", ["garbled", "folder"])
@pytest.mark.parametrize("key", [Qt.Key.Key_F12, Qt.Key.Key_F11], ids=["F12", "F11"])
async def test_an_unreadable_settings_file_refuses_f11_and_f12_and_says_what_it_does(qtbot, counter, kind, key):
    """Once it moved the file aside and offered to choose a new manager PIN: anyone's, then."""
    win = counter
    content = make_unreadable(kind)
    qtbot.keyClick(win.cart_edit, key)
    dlg = manager_pin_dialog(win)
    assert dlg.windowTitle() == "Manager actions are off"
    assert not dlg.pin_edit.isVisible() and not dlg.confirm_edit.isVisible() and not dlg.ok_button.isVisible()
    text = dlg.message_label.text()
    assert text.startswith("The settings file could not be read")
    assert "IT: put back" in text and "budtender-app settings reset" in text
    qtbot.keyClick(dlg, Qt.Key.Key_Escape)
    assert win.manager_dialog is None
    path = SettingsStore().path
    assert path.is_dir() if content is None else path.read_bytes() == content
    assert sorted(p.name for p in path.parent.iterdir()) in (["settings.json"], ["settings.json", "settings.json.lock"])


@pytest.mark.asyncio
async def test_a_store_name_too_long_is_refused_as_typed_not_cut_short(qtbot, dialog, ring):
    """The command line refuses a 300-character name: the form says so too, instead of keeping 40 of them."""
    fill(qtbot, dialog, name="x" * 300)
    assert dialog.form.edits["name"].text() == "x" * 300
    assert shown_errors(dialog) == {"name": "Keep the store name to 40 characters."}
    dialog.save_button.click()
    assert ring.entries == {}
    fill(qtbot, dialog, name="a:b")
    assert shown_errors(dialog)["name"].endswith("not :")
    assert ring.entries == {}


@pytest.mark.asyncio
async def test_a_transaction_id_shape_the_terminal_cannot_read_is_refused_under_its_field(qtbot, dialog, ring):
    fill(qtbot, dialog, transaction_pattern="eight digits")
    assert set(shown_errors(dialog)) == {"transaction_pattern"}
    assert 'Write it like "8 digits"' in dialog.form.error_labels["transaction_pattern"].text()
    dialog.form.edits["transaction_pattern"].clear()
    qtbot.keyClicks(dialog.form.edits["transaction_pattern"], "Starts with POS- then 6 digits")
    assert shown_errors(dialog) == {}
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    saved = SettingsStore().load().profile("Main St")
    assert saved is not None and saved.transaction_pattern == "starts with POS- then 6 digits"
