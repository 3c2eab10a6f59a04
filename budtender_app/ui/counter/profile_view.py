"""The counter's screens follow a store profile saved in Manager settings (viewmodels/profile_switch.py):
the status bar's store, the next receipt's and slip's, and what the switch says in the message band."""

from __future__ import annotations

from typing import TYPE_CHECKING

from budtender_app.domain.messages import Level
from budtender_app.ui.counter.side_dialogs import SideDialogs

if TYPE_CHECKING:
    from budtender_app.ui.main_window import MainWindow
    from budtender_app.viewmodels.profile_switch import ProfileSwitch


def follow_profile_switch(window: MainWindow, switch: ProfileSwitch) -> None:
    """Redraw the store's name wherever the counter shows it when ``switch`` moves to another."""
    side = window.findChild(SideDialogs)

    def on_switched() -> None:
        current = switch.current
        window.show_location(current.location)
        window.done_page.show_store(current.counter, current.receipt_links)
        if side is not None:
            side.show_store(current.counter, current.receipt_links[1])

    switch.switched.connect(on_switched)
    switch.told.connect(lambda level, text: window.message_label.show_message(Level(level), text))
