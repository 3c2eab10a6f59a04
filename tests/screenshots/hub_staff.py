"""The sign-in screen as the store hub's staff sync leaves it (issue 15), at 1024x768 and 1920x1080:
a new register whose store's managers arrived from the hub while it asked for a first manager,
and a session ended because the account was removed at another register.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/screenshots/hub_staff.py [OUT_DIR]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.screenshots.sizes import SCREENS, Shots, _quiet, build  # noqa: I001 - sizes sets Qt up first

from PySide6.QtCore import qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from budtender_app.app import make_event_loop
from budtender_app.domain.staff import Actor as ChangeActor
from budtender_app.domain.staff import Role
from budtender_app.services.staff.store import StaffStore
from budtender_app.ui.counter.staff_wiring import StaffWiring
from budtender_app.viewmodels.first_setup import FirstSetup
from budtender_app.viewmodels.staff_session import StaffSession
from tests.helpers import screenshot_clock

IT = ChangeActor.command_line("it")


async def shoot(out: Path, size: str) -> None:
    clock = screenshot_clock()
    win, vm, _sim, http, _services = build(False, clock)
    store = StaffStore(Path(tempfile.mkdtemp()) / "staff.sqlite3", clock=clock, lookup_key=bytes(range(32)))
    session = StaffSession(store, clock)
    wiring = StaffWiring(win, session, setup=FirstSetup(store))
    win.resize(*SCREENS[size])
    win.show()
    shots = Shots(out, f"hubstaff-{size}", win)
    store.add("Dana Boss", Role.MANAGER, "2580", by=IT)  # as the sync writes the store's managers in
    session.recheck()
    await shots.save("joined-the-store")
    store.add("Sam Till", Role.CASHIER, "4971", by=IT)
    await session.sign_in("4971")
    store.remove(store.find("Sam Till").id, by=IT)  # removed at another register, heard at the next sync
    session.recheck()
    await shots.save("account-removed")
    assert wiring.page.isVisible()
    win.close_without_asking()
    await vm.wait_idle()
    await http.aclose()
    store.close()


def main() -> int:
    qInstallMessageHandler(_quiet)
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/budtender-sizes")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=make_event_loop) as runner:
        for size in SCREENS:
            runner.run(shoot(out, size))
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
