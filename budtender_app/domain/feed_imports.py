"""What the Redemptions window and the shift report say of the POS files imported into AIQ's feeds.

Pure Python. Each import (one file of one kind for one store, however many runs it took) is an
``ImportSummary`` read from the progress file (services/feeds/import_list.py): its batches sent,
refused with AIQ's reasons, and not yet sent. A dry run sends nothing and writes nothing, so it
is never listed. The shift report counts the batches AIQ answered in its span (``ImportCount``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from budtender_app.domain.feed_mapping import FeedKind

#: The longest file name shown (the rest cut with "…"): a name is the POS's, not ours.
NAME_LIMIT = 80
#: Refusal reasons kept for one import in the list (all are counted).
REASONS_LISTED = 3


def shown_file_name(name: str) -> str:
    """A file name as the app shows it: control and format characters (a line break, a
    right-to-left override) as "?", cut at NAME_LIMIT. Never a folder: only the name is kept."""
    clean = "".join("?" if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in name)
    return clean if len(clean) <= NAME_LIMIT else clean[:NAME_LIMIT - 1] + "…"


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """One import as the list shows it. ``who``: the name of whoever ran it last."""

    id: int
    kind: FeedKind
    file_name: str
    who: str
    started_at: datetime
    updated_at: datetime
    batches: int
    sent: int
    refused: int
    reasons: tuple[str, ...] = ()  # "batch 3 (lines 4-5): AIQ's reason", the first REASONS_LISTED

    @property
    def waiting(self) -> int:
        """Batches AIQ has not answered yet (the import was stopped or cancelled)."""
        return max(0, self.batches - self.sent - self.refused)

    def state_text(self) -> str:
        """Its state in words: sent, refused (with AIQ's reasons), not yet sent."""
        parts = [f"{self.sent:,} of {self.batches:,} {'batch' if self.batches == 1 else 'batches'} sent"]
        if self.refused:
            more = self.refused - len(self.reasons)
            reasons = "; ".join(self.reasons) + (f"; and {more:,} more" if more > 0 else "")
            parts.append(f"{self.refused:,} refused by AIQ: {reasons}")
        if self.waiting:
            parts.append(f"{self.waiting:,} not sent yet (import the same file again to go on)")
        return " · ".join(parts)


@dataclass(frozen=True, slots=True)
class ImportCount:
    """The shift report's count of imports: batches AIQ answered in the span."""

    imports: int = 0
    sent: int = 0
    refused: int = 0

    @property
    def any(self) -> bool:
        return bool(self.imports)

    def sentence(self) -> str:
        """The report's line about them."""
        files = "1 file" if self.imports == 1 else f"{self.imports} files"
        return (f"Files imported into AIQ's feeds (sales, members, inventory): {files}, {self.sent} "
                f"{'batch' if self.sent == 1 else 'batches'} sent, {self.refused} refused by AIQ.")
