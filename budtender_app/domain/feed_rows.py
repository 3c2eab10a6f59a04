"""A POS's CSV export read as numbered rows, one line at a time (memory stays flat).

Pure: it is handed the file's raw lines (bytes, as ``open(path, "rb")`` yields them) and never
opens anything. Text must be UTF-8 (a BOM is fine): a line that is not is a Problem with its
number, saying how to save the file, never a guess at another encoding. Line numbers are the
file's own (a quoted cell spanning lines counts every line), as a spreadsheet shows them.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

ENCODING_ADVICE = "save the file as 'CSV UTF-8' and import it again"


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a line (0: the whole file) cannot be sent."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}" if self.line else self.reason


@dataclass(frozen=True, slots=True)
class Row:
    """One CSV record: the line it starts on and its cells."""

    line: int
    cells: list[str]


class _Lines:
    """The raw lines decoded, counting them and noting the ones that were not UTF-8."""

    def __init__(self, raw: Iterable[bytes]) -> None:
        self._raw = iter(raw)
        self.count = 0
        self._ended = True  # the last piece read ended its line
        self.undecodable: list[int] = []
        self.nul: list[int] = []  # lines with a NUL: valid UTF-8, yet never text a POS meant

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        data = next(self._raw)
        if self._ended:  # a piece of a line longer than the reader takes at once is not a line of its own
            self.count += 1
        self._ended = data.endswith(b"\n")
        if self.count == 1 and data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        if b"\x00" in data:
            self.nul.append(self.count)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            self.undecodable.append(self.count)
            return data.decode("utf-8", errors="replace")


_UTF16 = (b"\xff\xfe", b"\xfe\xff")


def read_rows(raw_lines: Iterable[bytes]) -> Iterator[Row | Problem]:
    """The file's records in order (blank lines skipped), or a Problem for a line that is not
    UTF-8 (or holds a NUL) or not CSV. The first record is the header. A UTF-16 file (Excel's
    "Unicode text"), or one whose lines end in CR alone,
    is one problem for the whole file, not one per line."""
    raw = iter(raw_lines)
    first = next(raw, b"")
    if first.startswith(_UTF16):
        yield Problem(1, f"the file is UTF-16 text, not UTF-8: {ENCODING_ADVICE}")
        return
    if b"\r" in first.rstrip(b"\r\n"):  # the whole file is one line to readline(): no row would read
        yield Problem(1, "the lines of this file end in a carriage return alone (an old Mac format): "
                         f"{ENCODING_ADVICE}")
        return
    lines = _Lines(itertools.chain((first,) if first else (), raw))
    reader = csv.reader(lines, strict=True)
    while True:
        start = lines.count + 1
        bad_before, nul_before = len(lines.undecodable), len(lines.nul)
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Problem(start, f"not CSV ({exc})")
            continue
        if len(lines.undecodable) > bad_before:
            yield Problem(lines.undecodable[bad_before], f"not UTF-8 text: {ENCODING_ADVICE}")
            continue
        if len(lines.nul) > nul_before:
            yield Problem(lines.nul[nul_before], f"a NUL character (the file is damaged, or in another encoding): "
                                                 f"{ENCODING_ADVICE}")
            continue
        if cells and any(c.strip() for c in cells):
            yield Row(start, cells)
