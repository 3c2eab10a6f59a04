"""The Redemptions window's "Import files" tab as app.py wires it (feed_wiring.add_feed_import): its
view model is made when the window is first built, not at start-up (BENCHMARK.md, "after the hub
and feed merges"), and it is the same one each time the window opens, in training and for a store."""

from __future__ import annotations

import argparse
import asyncio

import keyring.core
import pytest

from budtender_app.services.logs import RedactingFilter
from tests.helpers.memory_keyring import MemoryKeyring


@pytest.fixture
def memory_keyring(monkeypatch):
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring.core, "get_keyring", lambda: backend)
    return backend


def _real_store(memory_keyring) -> None:
    from budtender_app.domain.settings import StoreProfile
    from budtender_app.services.credentials import Credentials, CredentialStore
    from budtender_app.services.paths import folders
    from budtender_app.services.settings_store import SettingsStore

    store = SettingsStore(folders().settings)
    store.save(store.load().with_profile(StoreProfile(name="Main St", store_id="77", uid="1234",
                                                      base_url="https://aiq.example.com", brand="Green Leaf")))
    CredentialStore(memory_keyring).save("Main St", Credentials("1234", "real-key-abcd"))


@pytest.mark.parametrize("training", [True, False])
def test_the_import_tab_is_made_with_the_window_and_kept_across_openings(training, memory_keyring, qtbot):
    from budtender_app.app import build_services, build_window
    from budtender_app.domain.clock import Clock
    from budtender_app.services.paths import folders
    from budtender_app.ui.manager.pending_dialog import PendingDialog
    from budtender_app.viewmodels.feed_import import FeedImportViewModel

    if not training:
        _real_store(memory_keyring)
    args = argparse.Namespace(demo=training, store=None, base_url=None, debug=False)
    services = build_services(args, folders(), Clock.system(), RedactingFilter())
    try:
        window, _vm, pending = build_window(services)
        qtbot.addWidget(window)
        assert services.mode.training is training
        assert pending.findChild(FeedImportViewModel) is None, "made at start-up"
        tabs = []
        for _ in range(2):
            dialog = PendingDialog(pending, window)
            qtbot.addWidget(dialog)
            assert dialog.import_tab is not None
            assert "Import files" in [dialog.tabs.tabText(i).replace("&", "") for i in range(dialog.tabs.count())]
            tabs.append(dialog.import_tab)
            dialog.close()
        vm = pending.feed_import
        assert isinstance(vm, FeedImportViewModel) and vm.parent() is pending
        assert [tab._vm for tab in tabs] == [vm, vm], "one import view model for the counter"
        assert pending.findChildren(FeedImportViewModel) == [vm]
        window.close_without_asking()
    finally:
        services.close_journals()
        asyncio.run(services.http.aclose())
