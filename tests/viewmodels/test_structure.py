"""How the view models are put together, checked: composition (no mixins), one helper that
starts background work, and enums (not strings) for message levels and results."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

VIEWMODELS = Path(__file__).resolve().parents[2] / "budtender_app" / "viewmodels"
MODULES = sorted(VIEWMODELS.glob("*.py"))
IDS = [p.name for p in MODULES]
#: The one module that may start a task: it keeps a strong reference to each (qasync keeps none).
OPERATIONS = "operation.py"


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Subscript):
        node = node.value
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


@pytest.mark.parametrize("path", MODULES, ids=IDS)
def test_no_view_model_is_built_from_mixins(path):
    """A class has one base; only a Protocol combines others (an interface, not behaviour)."""
    mixed = [node.name for node in ast.walk(tree(path)) if isinstance(node, ast.ClassDef)
             and len(node.bases) > 1 and "Protocol" not in {_name(b) for b in node.bases}]
    assert not mixed, f"{path.name}: {mixed} inherit from several classes; hold the parts instead"


@pytest.mark.parametrize("path", [p for p in MODULES if p.name != OPERATIONS],
                         ids=[n for n in IDS if n != OPERATIONS])
def test_only_operations_starts_background_work(path):
    starts = [node.lineno for node in ast.walk(tree(path)) if isinstance(node, ast.Call)
              and _name(node.func) in {"ensure_future", "create_task", "run_coroutine_threadsafe"}]
    assert not starts, f"{path.name} starts tasks itself (lines {starts}): use its Operations"


@pytest.mark.parametrize("path", MODULES, ids=IDS)
def test_levels_and_results_are_enums_not_strings(path):
    """What a view model says or signals is a Level or another enum, never a bare string
    ("error", "works"): a typo there would show nothing, silently."""
    said = [node.lineno for node in ast.walk(tree(path)) if isinstance(node, ast.Call)
            and _name(node.func) in {"say", "_say", "emit"} and node.args
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)]
    assert not said, f"{path.name} says or emits a string where an enum belongs (lines {said})"
