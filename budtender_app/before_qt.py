"""Qt-free modules the window's start imports, imported before PySide6 (app.py).

Once PySide6 is imported it hooks every later import and reads each new module's whole source
(``inspect.getsource``, looking for "PySide6"). These modules never touch Qt but are imported by
the window's screens and view models, after PySide6: importing them first spares the hook.
Nothing here runs anything; which modules load does not change, only when.
tests/test_start_imports.py checks that none of them imports PySide6.
"""

from __future__ import annotations

from budtender_app.domain import (  # noqa: F401 - imported for the reason above
    eligibility,
    flow,
    money,
    pin,
    receipt,
    redemption,
    wallet,
)
from budtender_app.services import applied_sale  # noqa: F401 - imported for the reason above
from budtender_app.viewmodels import operation, refund_plan, refunds  # noqa: F401 - imported for the reason above
