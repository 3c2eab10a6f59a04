"""The store's idle time in the settings form (issue 13): a labelled spin box of whole minutes."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from budtender_app.ui.manager.store_form import StoreForm


def test_the_idle_time_shows_the_stores_minutes_and_says_what_was_typed(qtbot):
    form = StoreForm()
    qtbot.addWidget(form)
    form.fill({"name": "Main St", "idle_minutes": "25"}, key_stored=True)
    assert form.idle_spin.value() == 25 and form.fields()["idle_minutes"] == "25"
    assert (form.idle_spin.minimum(), form.idle_spin.maximum()) == (1, 60), "no 'never': sign-in is for attribution"
    [caption] = [label for label in form.findChildren(QLabel) if label.buddy() is form.idle_spin]
    assert caption.text() == "&Lock after"
    form.fill({"name": "New St"}, key_stored=False)
    assert form.idle_spin.value() == 10, "a new store starts at the usual 10 minutes"
