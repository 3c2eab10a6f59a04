"""The terminal's folders are decided in one module (services/paths.py), by the platform's rules."""

from __future__ import annotations

import ast
from pathlib import Path

from budtender_app.services.paths import folders

PACKAGE = Path(__file__).resolve().parents[1] / "budtender_app"


def test_only_the_paths_module_asks_platformdirs():
    askers = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] == "platformdirs" for n in names):
                askers.append(str(path.relative_to(PACKAGE)))
    assert askers == ["services/paths.py"]


def test_each_file_is_in_the_folder_the_platform_names(tmp_path):
    # conftest points the XDG folders at this test's own folder
    where = folders()
    assert where.journal() == tmp_path / "data" / "budtender-app" / "journal.sqlite3"
    assert where.journal(training=True) == tmp_path / "data" / "budtender-app" / "training-journal.sqlite3"
    assert where.consents() == tmp_path / "data" / "budtender-app" / "consents.sqlite3"
    assert where.settings == tmp_path / "config" / "budtender-app" / "settings.json"
    assert where.journal_markers == tmp_path / "state" / "budtender-app" / "journals"
    assert where.log_file.name == "budtender.log"


def test_the_folders_follow_the_environment_at_each_call(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "elsewhere"))
    assert folders().data == tmp_path / "elsewhere" / "budtender-app"
