"""A training export cannot be taken for the store's: its file name and its first line say TRAINING."""

from __future__ import annotations

import csv
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from PySide6.QtWidgets import QLabel

from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.journal.export import CSV_COLUMNS, TRAINING_TITLE
from budtender_app.services.redemption_sender import RedemptionSender
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID, Simulator
from budtender_app.simulator.transport import SimulatorTransport
from budtender_app.ui.manager.pending_dialog import PendingDialog
from budtender_app.viewmodels.pending import PendingViewModel
from tests.helpers import no_sleep

BASE = "https://simulator.invalid"


@pytest_asyncio.fixture
async def api():
    async with httpx.AsyncClient(transport=SimulatorTransport(Simulator(base_url=BASE))) as http:
        yield AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID))


def export_tab(qtbot, journal, api, training):
    vm = PendingViewModel(journal, api, RedemptionSender(api, journal, sleep=no_sleep), training=training)
    dialog = PendingDialog(vm)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog, dialog.export_tab


@pytest.mark.asyncio
@pytest.mark.parametrize("training", [True, False])
async def test_the_export_says_training_in_its_name_its_first_line_and_its_message(
        qtbot, journal, api, tmp_path, training):
    dialog, tab = export_tab(qtbot, journal, api, training)
    suggested = Path(tab.path_edit.text()).name
    assert suggested.startswith("TRAINING-") is training and suggested.endswith(".csv")
    target = tmp_path / suggested
    tab.path_edit.setText(str(target))
    tab.export_button.click()
    with target.open(newline="", encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    header = lines[1] if training else lines[0]
    assert tuple(header) == CSV_COLUMNS
    assert (lines[0] == [TRAINING_TITLE]) is training
    assert dialog.message_label.text().startswith("TRAINING: ") is training
    said = " ".join(label.text() for label in tab.findChildren(QLabel))
    assert ("TRAINING: this is the training journal" in said) is training
