"""The "Import files" tab's view model, made when the Redemptions window first asks for it.

``PendingViewModel.feed_import`` is this descriptor. The app gives it a maker at start
(``defer_feed_import``, feed_wiring.py) and the view model, with the importer, the file checks and
the column mappings (~20 ms of imports and dataclasses: BENCHMARK.md, "after the hub and feed
merges"), is made at the first read, when the window is built. Set as before (``= vm`` or
``= None``), it holds that view model, or no tab.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from budtender_app.viewmodels.feed_import import FeedImportViewModel

_MADE, _MAKER = "_feed_import", "_feed_import_maker"


class LazyFeedImport:
    """A FeedImportViewModel per PendingViewModel: the one set, or made at the first read."""

    def __get__(self, pending: Any, owner: type | None = None) -> FeedImportViewModel | None:
        made: FeedImportViewModel | None = pending.__dict__.get(_MADE)
        if made is None:
            make = pending.__dict__.pop(_MAKER, None)
            if make is not None:
                made = pending.__dict__[_MADE] = make()
        return made

    def __set__(self, pending: Any, vm: FeedImportViewModel | None) -> None:
        pending.__dict__.pop(_MAKER, None)
        pending.__dict__[_MADE] = vm


def defer_feed_import(pending: Any, make: Callable[[], FeedImportViewModel]) -> None:
    """``pending.feed_import`` is ``make()``, made at its first read."""
    pending.__dict__[_MADE] = None
    pending.__dict__[_MAKER] = make


def made_feed_import(pending: Any) -> FeedImportViewModel | None:
    """The view model if it was made (or set), without making it."""
    made: FeedImportViewModel | None = pending.__dict__.get(_MADE)
    return made
