"""The one store setting a sales import follows (issue 16), and its words.

Sales reach AIQ from this terminal only where the store's POS sends none: the store setting
``StoreProfile.send_sales`` ("This store's POS does not send sales to AIQ: send them from this
terminal", F12's store page). The checkout's feed and every sales import follow it; there is no
second switch for imports. Members and inventory are not sales: they need no setting.
"""

from __future__ import annotations

#: The setting as F12's store page names it.
SETTING = "This store's POS does not send sales to AIQ: send them from this terminal"
#: Where a manager turns it on, in the app's words.
WHERE_IN_APP = "Settings (F12), the store's page"
#: POS systems known to report their sales to AIQ themselves: never send from here with one.
REPORTING_POS = "Meadow, Korona, MJ Freeway, Square"


def sales_refused(where: str = WHERE_IN_APP) -> str:
    """Why a sales import is refused while the setting is off, and where to turn it on."""
    return (f"Sales are not sent from this terminal: the store setting \"{SETTING}\" is off. A manager turns it "
            f"on in {where}, and only if the store's POS sends AIQ no sales: where the POS reports them "
            f"({REPORTING_POS} do), every shopper's points count twice.")


def sales_turned_off(where: str = WHERE_IN_APP) -> str:
    """Why a sales import stopped part-way: the setting was turned off while it ran."""
    return (f"the store setting \"{SETTING}\" was turned off while sales were being sent, so the rest were "
            f"not sent ({where})")


def setting_state(on: bool) -> str:
    """What the Import files tab says about the setting for a sales file."""
    if on:
        return (f"This store sends its sales to AIQ from this terminal (\"{SETTING}\" is on, in "
                f"{WHERE_IN_APP}): a sales file can be imported.")
    return sales_refused()
