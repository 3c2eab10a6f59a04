"""The "Import files" tab's view model given at start and made at its first read (lazy_feed_import.py):
one per Redemptions window's model, never made before the window asks, and set as before."""

from __future__ import annotations

from budtender_app.viewmodels.lazy_feed_import import LazyFeedImport, defer_feed_import


class Pending:
    feed_import = LazyFeedImport()


def test_nothing_given_means_no_tab():
    assert Pending().feed_import is None


def test_a_deferred_view_model_is_made_once_at_its_first_read():
    pending, made = Pending(), []
    defer_feed_import(pending, lambda: made.append(object()) or made[-1])
    assert made == [], "made before anything asked"
    first = pending.feed_import
    assert first is not None and pending.feed_import is first and made == [first]


def test_set_as_before_it_holds_what_was_set_and_the_maker_is_never_run():
    pending, made, vm = Pending(), [], object()
    defer_feed_import(pending, lambda: made.append(object()) or made[-1])
    pending.feed_import = vm
    assert pending.feed_import is vm
    pending.feed_import = None
    assert pending.feed_import is None and made == []


def test_each_window_model_has_its_own():
    one, two = Pending(), Pending()
    defer_feed_import(one, lambda: "one")
    defer_feed_import(two, lambda: "two")
    assert (two.feed_import, one.feed_import) == ("two", "one")
