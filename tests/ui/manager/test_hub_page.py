"""Manager settings' Store hub tab, offscreen, against a real hub: what the manager sees."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
import pytest_asyncio

from budtender_app.hub_wiring import HubControl
from budtender_app.services.credentials import CredentialStore
from budtender_app.services.hub import schema
from budtender_app.services.settings_store import SettingsStore
from budtender_app.ui.manager.settings_dialog import SettingsDialog
from budtender_app.viewmodels.settings import SettingsViewModel
from tests.helpers import await_signal
from tests.helpers.hub_journal import SEAL, write_sales
from tests.helpers.memory_keyring import MemoryKeyring
from tests.helpers.pg import free_port

pytestmark = [pytest.mark.hub, pytest.mark.asyncio]


async def _tester(_profile, _credentials) -> None:
    await asyncio.sleep(0)


@pytest_asyncio.fixture
async def opened(qtbot, tmp_path):
    made = []

    def open_dialog(*, training: bool = False) -> SettingsDialog:
        from budtender_app.domain.clock import Clock

        keys = CredentialStore(MemoryKeyring())
        journal = tmp_path / "journal.sqlite3"
        if not journal.exists():
            write_sales(journal, 1)
        control = HubControl(journal, SEAL, keys, Clock.system().now, training=training)
        vm = SettingsViewModel(SettingsStore(), keys, _tester)
        vm.hub_page = control.settings_page(approving=None, audit=None)
        dialog = SettingsDialog(vm)
        qtbot.addWidget(dialog)
        dialog.open()
        qtbot.waitExposed(dialog)
        made.append((dialog, control))
        return dialog

    yield open_dialog
    for dialog, control in made:
        dialog.done(0)
        if dialog.hub_page is not None and dialog.hub_page.task is not None:
            await asyncio.wait([dialog.hub_page.task])
        control.close()


def to_hub_tab(dialog: SettingsDialog):
    assert dialog.tabs is not None and dialog.hub_page is not None
    dialog.tabs.setCurrentWidget(dialog.hub_page)
    return dialog.hub_page


async def done(page) -> None:
    if page.task is not None:
        await asyncio.wait_for(asyncio.wait([page.task]), 10)


async def test_joining_from_the_tab_shows_the_status_and_never_the_password_again(opened, hub_db):
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        schema.migrate(conn)
    dialog = opened()
    assert dialog.save_button.isVisible()
    page = to_hub_tab(dialog)
    assert not dialog.save_button.isVisible()  # Save is the store form's, not the hub's
    assert not page.init_button.isEnabled() and not page.leave_button.isEnabled()  # nothing joined yet
    page.url_edit.setText(hub_db.url)
    page.password_edit.setText(hub_db.password)
    page.join_button.click()
    assert not page.join_button.isEnabled()  # one act at a time, the button off while it runs
    await done(page)
    assert page.password_edit.text() == ""
    assert "Joined the store hub" in page.message_label.text()
    assert "pushes to it" in page.joined_label.text()
    assert page.status_labels["Reachable"].text().startswith("Yes")
    assert page.status_labels["Claim conflicts"].text() == "none"
    assert page.init_button.isEnabled() and page.leave_button.isEnabled()
    texts = [w.text() for w in page.findChildren(type(page.message_label))]
    assert all(hub_db.password not in t for t in [*texts, page.joined_label.text()])
    page.leave_button.click()
    await done(page)
    assert "Left the store hub" in page.message_label.text() and "joined no store hub" in page.joined_label.text()
    assert page.status_labels == {}


async def test_a_wrong_password_is_said_on_the_tab(opened, hub_db):
    dialog = opened()
    page = to_hub_tab(dialog)
    page.url_edit.setText(hub_db.url)
    page.password_edit.setText("wrong")
    page.join_button.click()
    await done(page)
    assert page.message_label.text() == "The hub refused the password for postgres: type it again. Nothing was saved."
    assert page.password_edit.text() == "" and page.status_labels["Reachable"].text().startswith("No:")


async def test_an_unreachable_hub_is_said_without_freezing_the_dialog(opened, qtbot):
    dialog = opened()
    page = to_hub_tab(dialog)
    page.url_edit.setText(f"postgresql://budtender@127.0.0.1:{free_port()}/hub")
    page.password_edit.setText("pw")
    busy = asyncio.ensure_future(await_signal(page._vm.busy_changed))
    page.test_button.click()
    assert (await busy) == ("Testing the store hub…",)  # said while it waits (a closed port answers at once)
    await done(page)
    assert "does not answer" in page.message_label.text()


async def test_training_says_it_never_joins_and_offers_nothing_to_type(opened):
    dialog = opened(training=True)
    page = to_hub_tab(dialog)
    assert page.training_label.isVisible() and "never joins a store hub" in page.training_label.text()
    assert not any(w.isEnabled() for w in (page.url_edit, page.password_edit, page.join_button, page.test_button,
                                           page.init_button, page.leave_button))


async def test_with_no_usable_keyring_the_tab_says_so_and_join_is_off(qtbot):
    from keyring.backends import fail

    from budtender_app.services.hub.config import HubConfig
    from budtender_app.viewmodels.hub_settings import HubSettingsViewModel

    keys = CredentialStore(fail.Keyring())
    vm = SettingsViewModel(SettingsStore(), CredentialStore(MemoryKeyring()), _tester)
    vm.hub_page = lambda: HubSettingsViewModel(HubConfig(keys))
    dialog = SettingsDialog(vm)
    qtbot.addWidget(dialog)
    dialog.open()
    page = to_hub_tab(dialog)
    assert "keyring" in page.joined_label.text().lower() and not page.join_button.isEnabled()
    assert page.test_button.isEnabled()  # a typed password can still be tried; nothing is kept
    dialog.done(0)
