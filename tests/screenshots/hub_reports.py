"""Screenshots of the Redemptions window's store-wide reports from the hub (issue 15), at 1024x768
and 1920x1080: the Export tab's "Whole store (hub)" mid-export and done, and the Shift report tab's.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/screenshots/hub_reports.py [OUT_DIR]

A throwaway PostgreSQL cluster (tests/helpers/pg.py) filled in SQL with 300,000 events of three
registers over a week. OUT_DIR defaults to /tmp/budtender-hub-shots.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.screenshots.sizes import SCREENS, Shots, build, settle  # noqa: I001 - sets the environment first

import psycopg
from PySide6.QtWidgets import QApplication

from budtender_app.app import make_event_loop
from budtender_app.services.hub import schema
from budtender_app.ui.manager.pending_dialog import PendingDialog
from budtender_app.viewmodels.hub_reports import HubReports
from tests.helpers import pg, screenshot_clock
from tests.helpers.hub_fill import fill_events
from budtender_app.domain.actor import Actor
from budtender_app.domain.wallet import Discount
from budtender_app.services.hub.push import Terminal, push
from budtender_app.services.journal import Journal, JournalLock, Seal


class Access:
    def __init__(self, cluster: pg.Cluster, db: str) -> None:
        self._args = {"host": "127.0.0.1", "port": cluster.port, "user": pg.SUPERUSER, "dbname": db,
                      "password": pg.PASSWORD, "connect_timeout": 5}

    def joined(self) -> bool:
        return True

    def connect_args(self):
        return dict(self._args)


async def until(check, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise TimeoutError
        await asyncio.sleep(0.02)


async def shoot(out: Path, cluster: pg.Cluster, db: str, size: str) -> None:
    clock = screenshot_clock()
    win, _vm, _sim, http, (journal, _api, pending_vm) = build(False, clock)
    pending_vm.hub_reports = HubReports(Access(cluster, db), clock)
    win.resize(*SCREENS[size])
    win.show()
    shots = Shots(out, f"hub-{size}", win)
    dialog = PendingDialog(pending_vm, win)
    dialog.open()
    tab = dialog.export_tab
    dialog.tabs.setCurrentWidget(tab)
    tab.hub_run.check_box.setChecked(True)
    tab.since_edit.setDate(tab.since_edit.date().addDays(-40))
    tab.path_edit.setText(str(Path(tempfile.mkdtemp()) / "aiq-redemptions-audit-store-2026-11-22.csv"))
    seen: list[int] = []
    pending_vm.hub_reports.export_progress.connect(seen.append)
    tab.export_button.click()
    await until(lambda: bool(seen) and seen[-1] >= 20_000)
    await shots.save("export-running", dialog)
    await until(lambda: tab.export_button.isEnabled())
    await shots.save("export-done", dialog)
    report = dialog.report_tab
    dialog.tabs.setCurrentWidget(report)
    report.hub_run.check_box.setChecked(True)
    await until(lambda: bool(report._vm.registers))
    await settle()
    await shots.save("shift-report", dialog)
    report.hub_run.by_register_box.setChecked(True)
    await shots.save("shift-report-by-register", dialog)
    dialog.done(0)
    win.close_without_asking()
    await http.aclose()
    journal.close()


def push_day(conn: psycopg.Connection, folder: Path) -> None:
    """Three registers' day (2026-11-22, the screenshot clock's), pushed as the registers push."""
    clock = screenshot_clock()
    # registers push under their computer's name (`hub push`: the host name)
    people = {"till-1": (Actor("s-1", "Robin Ames"), 14), "till-2": (Actor("s-2", "Sam Ortiz"), 9),
              "till-3": (Actor("s-3", "Dana Cashier"), 5)}
    for n, (name, (who, sales)) in enumerate(people.items(), 1):
        path = folder / f"register-{n}.sqlite3"
        seal = Seal(f"journal-{n}", bytes([n]) * 32)
        with Journal(path, store="Main St", terminal=f"till-{n}", seal=seal, lock=JournalLock(path).acquire(),
                     clock=clock.shifted(timedelta(hours=-6 + n))) as j:
            for sale in range(sales):
                deals = [Discount(id="d1", name="$5 off", points=250, redemption_url=f"https://x.test/r/{n}{sale}a",
                                  dollar_value=Decimal(5)),
                         Discount(id="d2", name="15% off edibles", points=400,
                                  redemption_url=f"https://x.test/r/{n}{sale}b", percentage_value=Decimal(15))]
                for entry in j.queue(f"POS-{n}{sale:04d}", deals[: 1 + sale % 2], staff=who,
                                     shopper_masked=f"***-***-{4000 + 100 * n + sale:04d}", contact_id=f"C-{sale}"):
                    j.mark_sending(entry.id)
                    if sale % 7 == 6:
                        j.mark_rejected(entry.id, "AIQ said no")
                    else:
                        j.mark_redeemed(entry.id, f"aiq-{n}-{entry.id}")
        push(Terminal(Journal.open_read_only(path, seal), name), conn)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/budtender-hub-shots")
    out.mkdir(parents=True, exist_ok=True)
    bindir = pg.bin_dir()
    assert bindir is not None, pg.skip_reason()
    folder = Path(tempfile.mkdtemp(prefix="hub-shots-"))
    cluster = pg.Cluster(folder, pg.free_port(), bindir)
    cluster._chown(folder)
    cluster.init()
    cluster.start()
    try:
        db = cluster.new_database()
        with psycopg.connect(cluster.url(db), password=pg.PASSWORD) as conn:
            schema.migrate(conn)
            # October's bulk for the export (registers "till-N"), then the day of the shift report
            fill_events(conn, 300_000, terminals=3, start=datetime(2026, 10, 1, 15, tzinfo=UTC),
                        step=timedelta(seconds=2))
            conn.execute("UPDATE hub_terminals SET name = 'Old till ' || right(terminal_id, 1)")
            conn.commit()
            push_day(conn, Path(tempfile.mkdtemp()))
        app = QApplication.instance() or QApplication([])  # noqa: F841 - kept alive while the shots run
        for size in SCREENS:
            with asyncio.Runner(loop_factory=make_event_loop) as runner:
                runner.run(shoot(out, cluster, db, size))
        print("saved to", out)
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
