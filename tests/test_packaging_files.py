"""What a store's IT installs besides the build: the menu entry and the icon (packaging/)."""

from __future__ import annotations

import configparser
import os
from pathlib import Path

from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[1]


def test_the_menu_entry_starts_the_installed_app_with_its_icon():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # .desktop keys are case-sensitive
    entry.read(ROOT / "resources" / "budtender.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Name"] == "Budtender"
    assert desktop["Terminal"] == "false"
    install = (ROOT / "packaging" / "install-linux.sh").read_text(encoding="utf-8")
    # install-linux.sh rewrites Exec to where it put the app, and installs the icon under this name.
    assert desktop["Exec"].endswith("/budtender-app %u") and 's|^Exec=.*|Exec=$prefix/budtender-app %u|' in install
    assert f"apps/{desktop['Icon']}.png" in install


def test_the_icons_are_square_256px_and_the_same_picture():
    icons = (ROOT / "resources" / "icon.png", ROOT / "budtender_app" / "resources" / "icon.png")
    images = [QImage(str(p)) for p in icons]
    assert all(not i.isNull() and (i.width(), i.height()) == (256, 256) for i in images)
    assert images[0] == images[1], "packaging/make_icon.py writes both"
    assert (ROOT / "resources" / "icon.ico").stat().st_size > 0


def test_the_packaging_scripts_are_executable():
    for script in ("build.sh", "smoke_test.sh", "install-linux.sh"):
        assert os.access(ROOT / "packaging" / script, os.X_OK), script


def test_budtender_links_open_the_app_on_linux():
    """Issue 14: a browser-based POS's budtender://sale?... link reaches the running terminal."""
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(ROOT / "resources" / "budtender.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert "x-scheme-handler/budtender" in desktop["MimeType"].split(";")
    assert desktop["Exec"].split()[-1] == "%u"  # the link as the app's one argument
    install = (ROOT / "packaging" / "install-linux.sh").read_text(encoding="utf-8")
    assert "xdg-mime default budtender-app.desktop x-scheme-handler/budtender" in install
    assert "command -v xdg-mime" in install  # a till without xdg-utils still installs


def test_budtender_links_open_the_app_on_windows():
    reg = (ROOT / "packaging" / "budtender-url.reg").read_bytes().decode("utf-8")  # CRLF kept
    assert reg.startswith("Windows Registry Editor Version 5.00\r\n")  # what regedit reads
    assert "[HKEY_CURRENT_USER\\Software\\Classes\\budtender]" in reg and '"URL Protocol"=""' in reg
    command = reg.split("[HKEY_CURRENT_USER\\Software\\Classes\\budtender\\shell\\open\\command]")[1]
    assert '\\budtender-app.exe\\" \\"%1\\""' in command  # the link, quoted, as the app's argument
    assert "budtender-url.reg" in (ROOT / "packaging" / "budtender.spec").read_text(encoding="utf-8")
