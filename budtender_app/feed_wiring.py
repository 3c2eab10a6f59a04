"""The Redemptions window's "Import files" tab, as the composition root (app.py) builds it: the
importer for the store in use now (a profile switch re-points the client and the journal's store),
the counter's rate limiter, the progress file (training's apart) and the audit trail."""

from __future__ import annotations

from typing import TYPE_CHECKING

from budtender_app.domain.actor import Acting, Actor, Approving
from budtender_app.viewmodels.lazy_feed_import import defer_feed_import

if TYPE_CHECKING:  # the view model loads with the window, the importer at the first import
    from budtender_app.app import Services
    from budtender_app.services.feeds.importer import FeedImporter
    from budtender_app.services.feeds.progress import ProgressStore
    from budtender_app.viewmodels.feed_import import FeedImportViewModel
    from budtender_app.viewmodels.imports_sent import ImportsSentViewModel
    from budtender_app.viewmodels.pending import PendingViewModel


def store_sends_sales(s: Services) -> bool:
    """The store setting "This store's POS does not send sales to AIQ: send them from this terminal"
    of the profile the counter uses now (after a profile switch too): the checkout's feed and sales
    imports both follow it."""
    from budtender_app.live_profile import target_of

    switch = s.profile_switch
    return (switch.current if switch is not None else target_of(s.mode)).send_sales


def add_feed_import(s: Services, pending_vm: PendingViewModel, acting: Acting, approving: Approving | None) -> None:
    """Give ``pending_vm`` its import view model (the tab shows when it has one), made when the
    Redemptions window is first built (viewmodels/lazy_feed_import.py): not at start-up."""
    journal = s.journal
    progress: list[ProgressStore] = []  # opened at the first import, not at start-up

    def make_importer() -> FeedImporter:
        from budtender_app.services.feeds.importer import FeedImporter
        from budtender_app.services.feeds.progress import ProgressStore

        if not progress:
            progress.append(ProgressStore(s.folders.feed_imports(training=s.mode.training), s.clock))
        return FeedImporter(s.client.feed_client(), progress[0], store=journal.store, clock=s.clock, who=acting())

    def audit(detail: str, approver: Actor | None) -> None:
        journal.record_event("feed_import", staff=acting(), approver=approver, detail=detail)

    def make_view_model() -> FeedImportViewModel:
        from budtender_app.services.feeds.mappings import MappingStore
        from budtender_app.viewmodels.feed_import import FeedImportViewModel

        vm = FeedImportViewModel(make_importer, MappingStore(s.folders.feed_mappings), lambda: journal.store,
                                 approving=approving, audit=audit, sends_sales=lambda: store_sends_sales(s),
                                 parent=pending_vm)
        listed = pending_vm.imports_sent
        if listed is not None:  # the imports' list is read again when an import ends
            vm.running_changed.connect(lambda running: None if running else listed.refresh())
        return vm

    defer_feed_import(pending_vm, make_view_model)
    pending_vm.imports_sent = imports_list(s, pending_vm)


async def stop_feed_import(vm: FeedImportViewModel | None) -> None:
    """At quit: cancel an import running now and wait for it to end. One waiting out AIQ's
    Retry-After (up to 5 minutes, in a worker thread) otherwise kept the quitting process alive:
    the loop's executor waits for its threads. What AIQ took stays recorded; a rerun goes on.
    app.py passes ``made_feed_import``'s: one never made (no Redemptions window) runs nothing."""
    if vm is not None:
        vm.cancel()
        await vm.wait_idle()


def imports_list(s: Services, pending_vm: PendingViewModel) -> ImportsSentViewModel:
    """The list of imports (beside the sales sent)."""
    from budtender_app.services.feeds.import_list import list_imports
    from budtender_app.viewmodels.imports_sent import ImportsSentViewModel

    path = s.folders.feed_imports(training=s.mode.training)
    return ImportsSentViewModel(lambda: list_imports(path, s.journal.store), s.clock, parent=pending_vm)
