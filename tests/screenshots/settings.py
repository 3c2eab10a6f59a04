"""Screenshots of the settings and manager PIN dialogs, offscreen."""

import asyncio
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
tmp = tempfile.mkdtemp()
os.environ["XDG_CONFIG_HOME"] = tmp
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import PySide6  # noqa: F401 - before qasync, as in the app
from PySide6.QtWidgets import QApplication

from budtender_app.app import make_event_loop
from budtender_app.domain import errors
from budtender_app.services.credentials import CredentialStore
from budtender_app.services.manager_pin import ManagerPinGuard
from budtender_app.services.settings_store import SettingsStore
from budtender_app.ui.manager.manager_pin_dialog import ManagerPinDialog
from budtender_app.ui.manager.settings_dialog import SettingsDialog
from budtender_app.viewmodels.manager_pin import ManagerPinViewModel
from budtender_app.viewmodels.settings import SettingsViewModel
from tests.helpers.memory_keyring import MemoryKeyring

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/settings-shots")


class Ring(MemoryKeyring):
    name = "the Secret Service keyring"  # what the dialog names, as on a till


async def settle():
    for _ in range(5):
        QApplication.processEvents()
        await asyncio.sleep(0)


async def save(w, name):
    await settle()
    w.grab().save(str(OUT / f"{name}.png"))
    print("saved", name)


async def main():
    state = {"error": None}

    async def tester(profile, creds):
        await asyncio.sleep(0.05)
        if state["error"]:
            raise state["error"]

    vm = SettingsViewModel(SettingsStore(), CredentialStore(Ring()), tester)
    dlg = SettingsDialog(vm)
    dlg.open()
    await save(dlg, "settings-1-empty-with-errors")
    for f, t in {"name": "Main St", "store_id": "4411", "uid": "1234", "brand": "Green Leaf Cannabis"}.items():
        dlg.form.edits[f].setText(t)
    dlg.form.api_key_edit.setText("aiqKEY0123456789abcdWXYZ")
    dlg._on_form_edited()
    await save(dlg, "settings-2-filled-valid")
    dlg.save_button.click()
    await save(dlg, "settings-2b-saved")
    vm.edit(None)
    for f, t in {
        "name": "Airport",
        "store_id": "4412",
        "uid": "12a4",
        "brand": "Green Leaf Cannabis",
        "base_url": "http://lab.alpineiq.com",
    }.items():
        dlg.form.edits[f].setText(t)
    dlg.form.api_key_edit.setText("aiqKEY 0123")
    dlg._on_form_edited()
    await save(dlg, "settings-3-bad-input")
    vm.edit("Main St")
    dlg.form.test_button.click()
    await asyncio.sleep(0.01)
    await save(dlg, "settings-4-testing")
    await dlg._test_task
    await save(dlg, "settings-5-works")
    state["error"] = errors.AuthRejected("x")
    dlg.form.test_button.click()
    await dlg._test_task
    await save(dlg, "settings-6-key-rejected")
    dlg.form.skip_pin_check.click()
    await save(dlg, "settings-7-skip-pin-warning")
    dlg.done(0)

    guard = ManagerPinGuard(SettingsStore())
    pd = ManagerPinDialog(ManagerPinViewModel(guard))
    pd.open()
    await save(pd, "pin-1-choose")
    pd.pin_edit.setText("1234")
    pd.confirm_edit.setText("1234")
    pd._on_ok_button_clicked()
    await save(pd, "pin-2-choose-refused")
    pd.pin_edit.setText("4826")
    pd.confirm_edit.setText("4826")
    pd._on_ok_button_clicked()
    pd2 = ManagerPinDialog(ManagerPinViewModel(guard), "Type the manager PIN to open the AIQ settings.")
    pd2.open()
    await save(pd2, "pin-3-ask")
    pd2.pin_edit.setText("9999")
    pd2._on_ok_button_clicked()
    await save(pd2, "pin-4-wrong")
    for _ in range(4):
        pd2.pin_edit.setText("9999")
        pd2._on_ok_button_clicked()
    await save(pd2, "pin-5-locked")
    pd2.done(0)


OUT.mkdir(parents=True, exist_ok=True)
app = QApplication.instance() or QApplication([])
with asyncio.Runner(loop_factory=make_event_loop) as r:
    r.run(main())
