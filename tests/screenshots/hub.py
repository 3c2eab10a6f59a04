"""Screenshots of Manager settings' Store hub tab at 1024x768 and 1920x1080, offscreen, against a
throwaway PostgreSQL (tests/helpers/pg.py's cluster, started and stopped here).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/screenshots/hub.py [OUT_DIR]

One PNG per state (not joined, joined with its status, a wrong password, training), the dialog
drawn centred over a screen-sized backdrop as a window manager puts it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp()  # hub.json and settings go here, not in ~
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import psycopg
import PySide6  # noqa: F401 - before qasync, as in the app
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QScrollArea

from budtender_app.app import make_event_loop
from budtender_app.domain.clock import Clock
from budtender_app.hub_wiring import HubControl
from budtender_app.services.credentials import CredentialStore
from budtender_app.services.hub import schema
from budtender_app.services.settings_store import SettingsStore
from budtender_app.ui.manager.settings_dialog import SettingsDialog
from budtender_app.viewmodels.settings import SettingsViewModel
from tests.helpers.hub_journal import SEAL, write_sales
from tests.helpers.memory_keyring import MemoryKeyring
from tests.helpers.pg import PASSWORD, Cluster, bin_dir, free_port

SCREENS = {"1024x768": (1024, 768), "1920x1080": (1920, 1080)}


async def settle() -> None:
    for _ in range(6):
        QApplication.processEvents()
        await asyncio.sleep(0)


async def save(out: Path, size: str, name: str, dialog: SettingsDialog) -> None:
    await settle()
    width, height = SCREENS[size]
    picture = QPixmap(width, height)
    picture.fill(QColor("#dfe3e6"))
    over = dialog.grab()
    painter = QPainter(picture)
    at = QPoint(max(0, (width - over.width()) // 2), max(0, (height - over.height()) // 2))
    painter.drawPixmap(at, over)
    painter.end()
    if over.width() > width or over.height() > height:
        print(f"TOO BIG: {name} {over.width()}x{over.height()} on {size}")
    picture.save(str(out / f"hub-{size}-{name}.png"))


def dialog_for(journal: Path, *, training: bool) -> tuple[SettingsDialog, HubControl]:
    keys = CredentialStore(MemoryKeyring())
    control = HubControl(journal, SEAL, keys, Clock.system().now, training=training)
    vm = SettingsViewModel(SettingsStore(), keys, _tester)
    vm.hub_page = control.settings_page(approving=None, audit=None)
    dialog = SettingsDialog(vm)
    dialog.open()
    assert dialog.tabs is not None and dialog.hub_page is not None
    dialog.tabs.setCurrentWidget(dialog.hub_page)
    return dialog, control


async def _tester(_profile, _credentials) -> None:
    await asyncio.sleep(0)


async def done(dialog: SettingsDialog) -> None:
    page = dialog.hub_page
    assert page is not None
    if page.task is not None:
        await asyncio.wait([page.task])


async def shoot(out: Path, size: str, url: str, journal: Path) -> None:
    dialog, control = dialog_for(journal, training=False)
    page = dialog.hub_page
    assert page is not None and dialog.tabs is not None
    dialog.tabs.setCurrentIndex(0)
    await save(out, size, "0-stores-tab", dialog)  # the store form, now on a tab of its own
    dialog.tabs.setCurrentWidget(page)
    await save(out, size, "1-not-joined", dialog)
    page.url_edit.setText(url)
    page.password_edit.setText("not-it")
    page.join_button.click()
    await done(dialog)
    await save(out, size, "2-wrong-password", dialog)
    page.password_edit.setText(PASSWORD)
    page.join_button.click()
    await done(dialog)
    await asyncio.sleep(1.0)  # the counter's first push
    page.refresh()
    await done(dialog)
    await save(out, size, "3-joined-status", dialog)
    scroll = page.findChild(QScrollArea, "hub_page_scroll")
    scroll.verticalScrollBar().setValue(scroll.verticalScrollBar().maximum())  # the waits and the staff sync
    await save(out, size, "3b-joined-status-scrolled", dialog)
    scroll.verticalScrollBar().setValue(0)
    page.url_edit.setText("postgresql://budtender@hub.store.lan/hub")
    page.test_button.click()
    await done(dialog)
    await save(out, size, "4-no-tls", dialog)
    page.leave_button.click()
    await done(dialog)
    dialog.done(0)
    control.close()
    dialog, control = dialog_for(journal, training=True)
    await save(out, size, "5-training", dialog)
    dialog.done(0)


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/hub-shots")
    out.mkdir(parents=True, exist_ok=True)
    bindir = bin_dir()
    if bindir is None:
        print("no PostgreSQL here")
        return 1
    folder = Path(tempfile.mkdtemp(prefix="budtender-pg-"))
    cluster = Cluster(folder, free_port(), bindir)
    cluster._chown(folder)
    cluster.init()
    cluster.start()
    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)
    try:
        db = cluster.new_database()
        with psycopg.connect(host="127.0.0.1", port=cluster.port, user="postgres", password=PASSWORD,
                             dbname=db) as conn:
            schema.migrate(conn)
        journal = Path(tempfile.mkdtemp()) / "journal.sqlite3"
        write_sales(journal, 3)
        with asyncio.Runner(loop_factory=make_event_loop) as runner:
            for size in SCREENS:
                runner.run(shoot(out, size, cluster.url(db), journal))
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
