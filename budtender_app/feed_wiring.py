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
    from budtender_app.viewmodels.pending import PendingViewModel


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
        return FeedImporter(s.client.feed_client(), progress[0], store=journal.store, clock=s.clock)

    def audit(detail: str, approver: Actor | None) -> None:
        journal.record_event("feed_import", staff=acting(), approver=approver, detail=detail)

    def make_view_model() -> FeedImportViewModel:
        from budtender_app.services.feeds.mappings import MappingStore
        from budtender_app.viewmodels.feed_import import FeedImportViewModel

        return FeedImportViewModel(make_importer, MappingStore(s.folders.feed_mappings), lambda: journal.store,
                                   approving=approving, audit=audit, parent=pending_vm)

    defer_feed_import(pending_vm, make_view_model)
