"""The auditors' export never replaces a file without asking: an existing file is asked about
inline (open(), never a static box) and stays as it was until the manager says yes."""

from __future__ import annotations

import httpx
import pytest
import pytest_asyncio
from PySide6.QtWidgets import QFileDialog

from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.redemption_sender import RedemptionSender
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID, Simulator
from budtender_app.simulator.transport import SimulatorTransport
from budtender_app.ui.manager.pending_dialog import PendingDialog
from budtender_app.viewmodels.pending import PendingViewModel

BASE = "https://simulator.invalid"
OLD = "the auditor's copy from last week\n"


@pytest_asyncio.fixture
async def api():
    async with httpx.AsyncClient(transport=SimulatorTransport(Simulator(base_url=BASE))) as http:
        yield AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID))


@pytest.fixture
def dialog(qtbot, journal, api):
    vm = PendingViewModel(journal, api, RedemptionSender(api, journal))
    window = PendingDialog(vm)
    qtbot.addWidget(window)
    window.open()
    window.tabs.setCurrentWidget(window.export_tab)
    return window


def export_over_an_old_file(dialog, tmp_path):
    """Export to a file that is already there: (the tab, the file)."""
    tab = dialog.export_tab
    target = tmp_path / "audit.csv"
    target.write_text(OLD, encoding="utf-8")
    tab.path_edit.setText(str(target))
    tab.export_button.click()
    return tab, target


@pytest.mark.asyncio
async def test_an_existing_file_is_asked_about_and_kept_on_no(dialog, tmp_path):
    tab, target = export_over_an_old_file(dialog, tmp_path)
    assert tab.confirm.isVisible() and str(target) in tab.confirm.question_label.text()
    assert "already there. Replace it" in tab.confirm.question_label.text()
    assert target.read_text(encoding="utf-8") == OLD  # nothing written while it asks
    tab.confirm.no_button.click()
    assert target.read_text(encoding="utf-8") == OLD and not tab.confirm.isVisible()

    tab.export_button.click()
    tab.confirm.yes_button.click()
    assert target.read_text(encoding="utf-8").startswith("time,event,")  # replaced, once asked
    tab.export_button.click()  # the same file again: asked again
    assert tab.confirm.isVisible()
    tab.path_edit.setText(str(tmp_path / "other.csv"))  # a question about the old name is taken back
    assert not tab.confirm.isVisible()


@pytest.mark.asyncio
async def test_a_new_file_is_written_without_a_question(dialog, tmp_path):
    tab = dialog.export_tab
    tab.path_edit.setText(str(tmp_path / "new.csv"))
    tab.export_button.click()
    assert not tab.confirm.isVisible() and (tmp_path / "new.csv").exists()


@pytest.mark.asyncio
async def test_the_file_dialog_asks_itself_so_its_choice_is_not_asked_twice(dialog, tmp_path):
    tab = dialog.export_tab
    target = tmp_path / "chosen.csv"
    target.write_text(OLD, encoding="utf-8")
    tab.browse_button.click()
    assert tab.file_dialog is not None
    assert not tab.file_dialog.testOption(QFileDialog.Option.DontConfirmOverwrite)  # its own question is on
    tab.file_dialog.fileSelected.emit(str(target))  # the manager said yes in the file dialog
    tab.file_dialog.done(0)
    tab.export_button.click()
    assert not tab.confirm.isVisible() and target.read_text(encoding="utf-8") != OLD


@pytest.mark.asyncio
async def test_esc_takes_the_overwrite_question_back_first(dialog, tmp_path):
    tab, target = export_over_an_old_file(dialog, tmp_path)
    dialog.reject()
    assert not tab.confirm.isVisible() and dialog.isVisible()
    assert target.read_text(encoding="utf-8") == OLD
