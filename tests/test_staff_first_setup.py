"""Issue 13's first-setup rule: no counter screen makes a manager on a terminal that has none.

The staff store lets only IT at the command line or the first-start setup add the first manager
(domain/staff.authority_problem); this holds the other end: nothing in ui/ or viewmodels/ claims
to be IT at the command line, so no screen can borrow that right.
"""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "budtender_app"
CLAIMS_IT = re.compile(r"\b(Actor\.command_line|ActorKind\.COMMAND_LINE|ActorKind\.UPGRADE|ActorKind\.TRAINING)\b")


def test_no_screen_or_view_model_acts_as_it_at_the_command_line():
    offenders = [f"{path.relative_to(PACKAGE)}:{n}"
                 for folder in ("ui", "viewmodels") for path in sorted((PACKAGE / folder).rglob("*.py"))
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                 if CLAIMS_IT.search(line)]
    assert offenders == []
