"""The journal's structural invariant, read from the code itself: a redemption row is journaled
(queued) in exactly one place, and only after checkout is confirmed.

``Journal.queue`` is the only way a row enters the journal, and a queued row is sent by itself
(the background resend), so a second caller of it, or one reached before the cashier confirmed
the POS transaction ID, would move a shopper's points before checkout. This walks every module of
``budtender_app``: the one reference to ``.queue`` is ``AppliedSales.checkout``, and every path to
that (followed back by name through every function that calls it, in any module) starts in a
function that moved the flow on ``Event.TRANSACTION_CONFIRMED`` first.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from budtender_app.domain.flow import TRANSITIONS, Event, Step

PACKAGE = Path(__file__).resolve().parents[2] / "budtender_app"
CONFIRMED = Event.TRANSACTION_CONFIRMED.name


@dataclass(frozen=True)
class Function:
    module: str  # path inside the package
    name: str  # Class.method or function
    node: ast.FunctionDef | ast.AsyncFunctionDef

    def lines_of(self, attribute: str) -> list[int]:
        """Where this function's own body refers to ``<something>.attribute``."""
        return [n.lineno for n in ast.walk(self.node) if isinstance(n, ast.Attribute) and n.attr == attribute]

    def confirmed_at(self) -> list[int]:
        """The statements of the body itself (not in a branch) that are a call naming CONFIRMED,
        like ``self._go(Event.TRANSACTION_CONFIRMED)``: once past them, checkout is confirmed."""
        return [stmt.lineno for stmt in self.node.body
                if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
                and any(isinstance(n, ast.Attribute) and n.attr == CONFIRMED for n in ast.walk(stmt))]


def _functions(path: Path) -> list[Function]:
    module = str(path.relative_to(PACKAGE))
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                found.append(Function(module, prefix + child.name, child))
                visit(child, f"{prefix}{child.name}.")

    visit(ast.parse(path.read_text(encoding="utf-8")), "")
    return found


FUNCTIONS = [f for path in sorted(PACKAGE.rglob("*.py")) for f in _functions(path)]


def referring_to(attribute: str) -> list[Function]:
    """The innermost functions of the package whose body refers to ``.attribute``."""
    hits = [f for f in FUNCTIONS if f.lines_of(attribute)]
    # A nested function's reference also shows in its outer function: keep the innermost.
    return [f for f in hits if not any(g is not f and g.module == f.module and g.name.startswith(f.name + ".")
                                       for g in hits)]


def unconfirmed_paths(function: Function, called: str, seen: frozenset[str] = frozenset()) -> list[str]:
    """The paths into ``function`` (which refers to ``.called``) that did not confirm checkout first."""
    confirmed = function.confirmed_at()
    if confirmed and min(confirmed) < min(function.lines_of(called)):
        return []
    method = function.name.rsplit(".", 1)[-1]
    # Followed by name through the whole package (a view model's helper object may hold the
    # step that journals): a same-named method elsewhere only adds paths to check, never hides one.
    callers = [f for f in referring_to(method) if f"{f.module}: {f.name}" not in seen and f is not function]
    if not callers:
        return [f"{function.module}: {function.name}"]  # called from nowhere we can follow
    here = seen | {f"{function.module}: {function.name}"}
    return [f"{path} <- {function.name}" for caller in callers for path in unconfirmed_paths(caller, method, here)]


def test_a_row_is_journaled_in_exactly_one_place():
    places = [(f.module, f.name) for f in referring_to("queue")]
    assert places == [("services/applied_sale.py", "AppliedSales.checkout")], (
        "Journal.queue must have exactly one caller, the checkout (see Journal.queue's docstring)")


def test_the_checkout_is_reached_only_after_the_transaction_id_is_confirmed():
    callers = referring_to("checkout")
    assert callers, "nothing calls AppliedSales.checkout: the invariant's path has moved"
    assert [path for caller in callers for path in unconfirmed_paths(caller, "checkout")] == []


def test_the_confirmation_comes_only_at_checkout():
    assert [step for step, event in TRANSITIONS if event is Event.TRANSACTION_CONFIRMED] == [Step.CHECKOUT]
    assert TRANSITIONS[(Step.CHECKOUT, Event.TRANSACTION_CONFIRMED)] is Step.REDEEMING
