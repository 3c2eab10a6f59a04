"""Import a POS's CSV export into AIQ: check every row first, then send it in batches.

``FeedImporter.check`` reads the whole file once (streaming: memory stays flat) and reports
every problem with its line number; nothing is sent while there is one. ``run`` reads it again
and sends it in batches (a sale per call; at most 100 members or items per call) under the feed
client's rate limiter, writing each batch AIQ answered to the progress file (progress.py): a
rerun of the same file sends only what AIQ has not acknowledged, refused batches included.
A dry run is ``check`` alone: it sends and writes nothing.

Cancelling (``cancel.set()``) stops before the next batch; the one in flight finishes. So does
``hold()`` saying why not (a sales import whose store setting was turned off meanwhile). AIQ busy
(429) or in trouble (5xx, no answer) is waited out a few times, then the import stops as
interrupted (run it again to go on). A refused key or certificate stops it at once. File
reading runs in a worker thread, so a window's event loop never waits on the disk or the CSV.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import BinaryIO

from budtender_app.domain import errors, json_wire
from budtender_app.domain.actor import Actor
from budtender_app.domain.clock import Clock
from budtender_app.domain.feed_import import BATCH_SIZE, Context, FileReader, Item, batches
from budtender_app.domain.feed_mapping import ColumnMapping, FeedKind
from budtender_app.domain.feed_rows import Problem
from budtender_app.services.feeds.client import FeedClient
from budtender_app.services.feeds.progress import ProgressStore

#: Problems listed in full (all are counted): a file broken on every line stays readable.
MAX_LISTED = 500
_CHUNK = 1 << 16
#: The longest line read at once: a file with no line breaks cannot fill the memory (its cut
#: pieces are then reported as not CSV).
MAX_LINE = 1 << 20


class Outcome(Enum):
    """How an import ended."""

    PROBLEMS = "problems"  # the file has problems: nothing sent
    CHECKED = "checked"  # a dry run: nothing sent
    DONE = "done"  # every batch sent (or sent before)
    REFUSED = "refused"  # AIQ refused some batches (the rest were sent): fix and run again
    CANCELLED = "cancelled"  # stopped by the user: run again to go on
    INTERRUPTED = "interrupted"  # AIQ could not be reached or refused the key: run again to go on


@dataclass(frozen=True, slots=True)
class FileCheck:
    """What ``check`` found: the file's hash, its rows, items and batches, and its problems."""

    kind: FeedKind
    path: Path
    file_hash: str
    size: int
    rows: int
    items: int
    batches: int
    problems: tuple[Problem, ...]
    problem_count: int
    mapping: ColumnMapping | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    """A batch AIQ refused: which lines, and AIQ's reason."""

    number: int
    first_line: int
    last_line: int
    reason: str

    def __str__(self) -> str:
        lines = f"line {self.first_line}" if self.first_line == self.last_line else \
            f"lines {self.first_line}-{self.last_line}"
        return f"batch {self.number} ({lines}): {self.reason}"


@dataclass(slots=True)
class Progress:
    """Where a running import is (handed to ``on_progress`` after every batch)."""

    batches: int
    done: int = 0
    sent_items: int = 0
    skipped_items: int = 0
    refused: list[Refusal] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ImportResult:
    """How an import ended, with what was sent, skipped (sent before) and refused."""

    outcome: Outcome
    check: FileCheck
    sent_items: int = 0
    skipped_items: int = 0
    batches_done: int = 0
    refused: tuple[Refusal, ...] = ()
    message: str = ""


class _Stop(Exception):
    """The import cannot go on now (AIQ unreachable, key refused); its message says why."""


def file_hash(path: Path) -> str:
    """The SHA-256 of the file's bytes (the key of its import in the progress file)."""
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for chunk in iter(lambda: data.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def batch_digest(batch: list[Item]) -> str:
    """The content of one batch as AIQ gets it, hashed."""
    text = json_wire.dumps([item.body for item in batch], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _lines_hashed(data: BinaryIO, digest: hashlib._Hash) -> Iterator[bytes]:
    for line in iter(lambda: data.readline(MAX_LINE), b""):
        digest.update(line)
        yield line


class FeedImporter:
    """Imports for one store: checks files and sends them with ``client`` (None: dry runs only)."""

    def __init__(self, client: FeedClient | None, progress: ProgressStore | None, *, store: str, clock: Clock,
                 tries: int = 5, pause: Callable[[float], float] | None = None, who: Actor | None = None) -> None:
        self._who = who  # who runs it (the Redemptions window's list of imports names them)
        self._client = client
        self._progress = progress
        self._store = store
        self._clock = clock
        self._tries = tries
        #: Seconds to wait before try ``n`` (from 1) when AIQ did not say; tests shorten it.
        self._pause = pause or (lambda n: min(60.0, 2.0 ** n))

    def context(self) -> Context:
        zone = self._clock.local(self._clock.now()).tzinfo
        assert zone is not None  # Clock.local gives an aware time
        return Context(self._store, zone, self._clock.now())

    def check(self, kind: FeedKind, path: Path, mapping: ColumnMapping | None = None) -> FileCheck:
        """Read the whole file and say what it holds and every problem (blocking: run it in a
        worker thread). OSError when the file cannot be read."""
        reader = FileReader(kind, mapping, self.context())
        digest = hashlib.sha256()
        counts = {"items": 0, "batches": 0}
        kept: list[Problem] = []
        total = 0
        size = BATCH_SIZE[kind]
        with path.open("rb") as data:
            for found in reader.items(_lines_hashed(data, digest)):
                if isinstance(found, Problem):
                    total += 1
                    if len(kept) < MAX_LISTED:
                        kept.append(found)
                    continue
                counts["items"] += 1
                if (counts["items"] - 1) % size == 0:
                    counts["batches"] += 1
        return FileCheck(kind, path, digest.hexdigest(), path.stat().st_size, reader.rows, counts["items"],
                         counts["batches"], tuple(kept), total, mapping)

    async def run(self, check: FileCheck, *, cancel: threading.Event | None = None,
                  on_progress: Callable[[Progress], None] | None = None,
                  hold: Callable[[], str | None] | None = None) -> ImportResult:
        """Send the checked file (see the module's docstring). Never raises an AiqError: how it
        ended is the result's ``outcome`` and ``message``. ``hold()``, asked before each batch:
        None to go on, else why the import stops there (it ends interrupted, with that reason)."""
        if check.problem_count:
            return ImportResult(Outcome.PROBLEMS, check, message=_problems_message(check))
        if self._client is None or self._progress is None:
            raise RuntimeError("an importer without a client or a progress file only checks")
        import_id = self._progress.begin(self._store, check.kind, check.file_hash, check.path.name, check.batches,
                                         self._who)
        progress = Progress(check.batches)
        cancel = cancel or threading.Event()
        try:
            outcome, message = await self._send_all(check, import_id, progress, cancel, on_progress,
                                                    hold or (lambda: None))
        except _Stop as stop:
            outcome, message = Outcome.INTERRUPTED, _stopped_message(str(stop), progress)
        except OSError as exc:  # gone or unreadable since its check (a stick pulled out): what was sent is kept
            why = f"cannot read {check.path.name} ({exc.strerror or type(exc).__name__})"
            outcome, message = Outcome.INTERRUPTED, _stopped_message(why, progress)
        return ImportResult(outcome, check, progress.sent_items, progress.skipped_items, progress.done,
                            tuple(progress.refused), message)

    async def _send_all(self, check: FileCheck, import_id: int, progress: Progress, cancel: threading.Event,
                        on_progress: Callable[[Progress], None] | None,
                        hold: Callable[[], str | None]) -> tuple[Outcome, str]:
        source = _BatchSource(check, self.context())
        ahead = asyncio.ensure_future(asyncio.to_thread(source.next))
        try:
            while (read := await ahead) is not None:
                # The next batch is read (in its thread) while this one is on the wire.
                ahead = asyncio.ensure_future(asyncio.to_thread(source.next))
                if cancel.is_set():
                    return Outcome.CANCELLED, _cancelled_message(progress)
                if (why := hold()) is not None:
                    raise _Stop(why)
                await self._one(check.kind, import_id, progress, read, cancel)
                if on_progress is not None:
                    on_progress(progress)
            if source.changed():
                raise _Stop(f"{check.path.name} changed while it was being sent; check it and import it again")
        finally:
            await asyncio.wait([ahead])  # its thread may be reading the file: let it end before closing
            source.close()
        if progress.refused:
            return Outcome.REFUSED, _refused_message(progress)
        return Outcome.DONE, _done_message(progress)

    async def _one(self, kind: FeedKind, import_id: int, progress: Progress, read: tuple[list[Item], str],
                   cancel: threading.Event) -> None:
        assert self._progress is not None
        number = progress.done + 1
        batch, digest = read
        lines = (batch[0].first_line, batch[-1].last_line)
        if self._progress.acknowledged(self._store, kind, digest, import_id):
            progress.skipped_items += len(batch)
        else:
            reason = await self._send(kind, batch, cancel)
            self._progress.record(import_id, number, lines, len(batch), digest, reason)
            if reason is None:
                progress.sent_items += len(batch)
            else:
                progress.refused.append(Refusal(number, *lines, reason))
        progress.done = number

    async def _send(self, kind: FeedKind, batch: list[Item], cancel: threading.Event) -> str | None:
        """None when AIQ took the batch, else AIQ's reason; _Stop when it cannot be sent now."""
        assert self._client is not None
        for attempt in range(1, self._tries + 1):
            try:
                if kind is FeedKind.SALES:
                    body = batch[0].body
                    await self._client.post_sale(body["visit"], member=body.get("member"))
                elif kind is FeedKind.MEMBERS:
                    await self._client.post_members([i.body for i in batch])
                else:
                    await self._client.post_inventory([i.body for i in batch])
                return None
            except errors.Rejected as exc:
                return str(exc)
            except errors.RateLimited as exc:
                wait, last = exc.retry_after or self._pause(attempt), str(exc)
            except (errors.ServerError, errors.Unreachable, errors.BadResponse) as exc:
                wait, last = self._pause(attempt), str(exc)
            except errors.AiqError as exc:  # the key, the certificate: no batch can go now
                raise _Stop(str(exc)) from None
            if attempt < self._tries and await asyncio.to_thread(cancel.wait, min(wait, 300.0)):
                raise _Stop("cancelled while waiting for AIQ")
        raise _Stop(last)


class _BatchSource:
    """The checked file read again in batches (called from a worker thread, one call at a time)."""

    def __init__(self, check: FileCheck, context: Context) -> None:
        self._check = check
        self._data = check.path.open("rb")
        self._digest = hashlib.sha256()
        reader = FileReader(check.kind, check.mapping, context)
        found = reader.items(_lines_hashed(self._data, self._digest))
        self._batches = batches(self._only_items(found), BATCH_SIZE[check.kind])
        self._finished = False

    def _only_items(self, found: Iterator[Item | Problem]) -> Iterator[Item]:
        for thing in found:
            if isinstance(thing, Problem):  # the file changed since it was checked
                self._finished = True
                return
            yield thing

    def next(self) -> tuple[list[Item], str] | None:
        """The next batch and its digest, or None at the end."""
        batch = next(self._batches, None)
        if batch is None:
            self._finished = True
            return None
        return batch, batch_digest(batch)

    def changed(self) -> bool:
        size = os.fstat(self._data.fileno()).st_size
        return not self._finished or size != self._check.size or self._digest.hexdigest() != self._check.file_hash

    def close(self) -> None:
        self._data.close()


def _problems_message(check: FileCheck) -> str:
    more = check.problem_count - len(check.problems)
    listed = "; the first are listed" if more else ""
    return (f"{check.path.name}: {check.problem_count} problem{'s' if check.problem_count != 1 else ''} "
            f"found{listed}. Nothing was sent: fix the file and import it again.")


def _done_message(progress: Progress) -> str:
    before = f" ({progress.skipped_items:,} sent before, not sent again)" if progress.skipped_items else ""
    batches = "1 batch" if progress.done == 1 else f"{progress.done:,} batches"
    return f"Sent {progress.sent_items:,} to AIQ in {batches}{before}."


def _refused_message(progress: Progress) -> str:
    count = len(progress.refused)
    return (f"AIQ refused {count} batch{'es' if count != 1 else ''}; {progress.sent_items:,} sent. Fix what AIQ "
            "said and import the file again: only what AIQ has not taken is sent.")


def _cancelled_message(progress: Progress) -> str:
    return (f"Cancelled after {progress.done:,} of {progress.batches:,} batches ({progress.sent_items:,} sent). "
            "Import the same file again to go on: nothing AIQ took is sent twice.")


def _stopped_message(why: str, progress: Progress) -> str:
    return (f"Stopped after {progress.done:,} of {progress.batches:,} batches: {why}. "
            "Import the same file again to go on: nothing AIQ took is sent twice.")
