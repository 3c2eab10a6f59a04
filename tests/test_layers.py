"""Layers point one way: ui -> viewmodels -> services -> domain. A reach upward fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "budtender_app"

FORBIDDEN = {
    "domain": ("budtender_app.services", "budtender_app.viewmodels", "budtender_app.ui", "budtender_app.simulator",
               "budtender_app.app", "PySide6", "httpx", "keyring", "qasync", "sqlite3"),
    "services": ("budtender_app.viewmodels", "budtender_app.ui", "budtender_app.app", "PySide6", "qasync"),
    "simulator": ("budtender_app.services", "budtender_app.viewmodels", "budtender_app.ui", "budtender_app.app",
                  "PySide6", "qasync"),
    "viewmodels": ("budtender_app.ui", "budtender_app.app", "PySide6.QtWidgets", "PySide6.QtGui", "httpx", "keyring"),
    "ui": ("budtender_app.services", "budtender_app.simulator", "budtender_app.app", "httpx", "keyring", "sqlite3"),
    # IT's commands: services and domain only (the window is app.py's, started by cli/__init__).
    "cli": ("budtender_app.viewmodels", "budtender_app.ui", "PySide6", "qasync"),
}


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


CASES = [(layer, path) for layer in FORBIDDEN for path in sorted((PACKAGE / layer).rglob("*.py"))]


@pytest.mark.parametrize(("layer", "path"), CASES, ids=[f"{layer}/{p.name}" for layer, p in CASES])
def test_no_module_reaches_up_a_layer(layer, path):
    bad = sorted(name for name in imports_of(path)
                 if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[layer]))
    assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_every_package_folder_is_a_layer():
    """A new folder of the package is given its place in the layers before it lands."""
    folders = {p.parent.relative_to(PACKAGE).parts[0] for p in PACKAGE.rglob("__init__.py") if p.parent != PACKAGE}
    assert folders == set(FORBIDDEN)


@pytest.mark.parametrize("screen", ["counter", "manager", "loyalty", "receipt", "common"])
def test_screens_are_laid_out_by_folder(screen):
    assert any((PACKAGE / "ui" / screen).glob("*.py"))
    assert not [p.name for p in (PACKAGE / "ui").glob("*.py") if p.name not in {"__init__.py", "main_window.py"}]


def test_every_layer_has_modules():
    assert all(any(name == layer for name, _ in CASES) for layer in FORBIDDEN)
