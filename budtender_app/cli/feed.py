"""`budtender-app feed sales|members|inventory --csv FILE [--mapping NAME] [--dry-run]`: import a
POS's CSV export into AIQ's feeds; `feed mapping NAME --kind KIND FIELD=COLUMN...` saves a column
mapping for this store, `feed mappings` lists them.

Only for a store whose POS sends AIQ nothing: a POS that reports sales to AIQ and this import
would count every shopper's points twice, so a sales import follows the store's own setting
("This store's POS does not send sales to AIQ: send them from this terminal", F12's store page;
with ``--demo``, training's active profile): off, it is refused; turned off while the import
runs, it stops before the next sale. Members and inventory need no setting.
Every row is checked first and every problem printed with its line number; nothing is sent
while there is one. Then batches go under AIQ's rate limit with a progress bar on stderr;
Ctrl+C stops after the batch in flight, and running the same command again goes on where it
stopped (nothing AIQ took is sent twice). With ``--demo`` it is training's: the simulator at
``--base-url`` (``budtender-app simulator``) or, without it, one in this process.

Exit codes: 0 done (or a clean dry run), 1 not all sent (AIQ refused batches, could not be
reached, the store is not set up, or its setting sends no sales): run it again, 2 bad input
(the file's problems, a missing file, an unknown mapping), 130 cancelled with Ctrl+C: run it
again to go on.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from budtender_app.domain.actor import Actor
from budtender_app.domain.clock import Clock
from budtender_app.domain.feed_mapping import FIELDS, FeedKind, MappingError, check_mapping

if TYPE_CHECKING:
    from budtender_app.services.feeds.importer import FileCheck, ImportResult, Progress
    from budtender_app.services.feeds.mappings import MappingStore
    from budtender_app.startup import Mode

EXIT_OK, EXIT_NOT_ALL_SENT, EXIT_BAD_INPUT, EXIT_CANCELLED = 0, 1, 2, 130
KINDS = tuple(kind.value for kind in FeedKind)


def build_feed_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add `feed` and its actions to the app's sub-commands."""
    feed = subparsers.add_parser("feed", help="import a POS's CSV export (sales, members, inventory) into AIQ")
    actions = feed.add_subparsers(dest="feed_action", required=True)
    for kind in KINDS:
        one = actions.add_parser(kind, help=f"import a {kind} CSV file")
        one.add_argument("--csv", dest="feed_csv", required=True, metavar="FILE", help="the POS's export (UTF-8)")
        one.add_argument("--mapping", dest="feed_mapping", metavar="NAME",
                         help="the column mapping to read it with (none: the header uses AIQ's field names)")
        one.add_argument("--dry-run", dest="feed_dry_run", action="store_true",
                         help="check every row and count the batches; send nothing")
    save = actions.add_parser("mapping", help="save a column mapping: AIQ's field = the POS file's column header")
    save.add_argument("feed_mapping_name", metavar="NAME")
    save.add_argument("--kind", dest="feed_kind", required=True, choices=KINDS)
    save.add_argument("feed_columns", nargs="+", metavar="FIELD=COLUMN")
    actions.add_parser("mappings", help="list this store's column mappings")


def run_feed(args: argparse.Namespace, clock: Clock | None = None) -> int:
    """Run one `feed` action; the exit code."""
    from budtender_app.services.feeds.mappings import MappingStore
    from budtender_app.services.paths import folders
    from budtender_app.startup import StartupError, choose_mode

    try:
        mode = choose_mode(args)
    except StartupError as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    if not args.demo and mode.training:
        return _fail(f"{mode.notice} Use --demo to practise an import against the simulator.", EXIT_NOT_ALL_SENT)
    mappings = MappingStore(folders().feed_mappings)
    if args.feed_action == "mappings":
        return _list_mappings(mappings, mode.store)
    if args.feed_action == "mapping":
        return _save_mapping(args, mappings, mode.store)
    return _import(args, mode, mappings, clock or Clock.system())


def _list_mappings(mappings: MappingStore, store: str) -> int:
    try:
        names = mappings.names(store)
    except MappingError as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    for name in names:
        found = mappings.get(store, name)
        columns = ", ".join(f"{f}={h!r}" for f, h in found.columns.items())
        print(f"{found.name} ({found.kind.value}): {columns}")
    if not names:
        print(f"Store {store!r} has no column mappings yet. Save one with: budtender-app feed mapping NAME "
              "--kind inventory sku='Item Code' name='Description' ...")
    return EXIT_OK


def _save_mapping(args: argparse.Namespace, mappings: MappingStore, store: str) -> int:
    kind = FeedKind(args.feed_kind)
    columns: dict[str, str] = {}
    for pair in args.feed_columns:
        field, sep, header = pair.partition("=")
        if not sep:
            return _fail(f"{pair!r}: write each as FIELD=COLUMN, like sku='Item Code'. "
                         f"Fields of a {kind.value} file: {', '.join(FIELDS[kind])}.", EXIT_BAD_INPUT)
        columns[field.strip()] = header
    try:
        mapping = check_mapping(args.feed_mapping_name, kind, columns)
        mappings.save(store, mapping)
    except (MappingError, OSError) as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    print(f"Saved the {kind.value} mapping {mapping.name!r} for store {store!r}.")
    return EXIT_OK


def _import(args: argparse.Namespace, mode: Mode, mappings: MappingStore, clock: Clock) -> int:
    from budtender_app.services.feeds.importer import FeedImporter

    kind = FeedKind(args.feed_action)
    hold = _sales_hold(mode) if kind is FeedKind.SALES and not args.feed_dry_run else None
    if hold is not None and (why := hold()) is not None:
        return _fail(why, EXIT_NOT_ALL_SENT)
    path = Path(args.feed_csv)
    try:
        mapping = mappings.get(mode.store, args.feed_mapping) if args.feed_mapping else None
        check = FeedImporter(None, None, store=mode.store, clock=clock).check(kind, path, mapping)
    except MappingError as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    except OSError as exc:
        return _fail(f"Cannot read {path}: {exc.strerror or exc}.", EXIT_BAD_INPUT)
    training = "TRAINING - nothing reaches the real AIQ. " if mode.training else ""
    print(f"{training}{path.name}: {check.rows:,} rows, {check.items:,} {_noun(kind)} in {check.batches:,} "
          f"batch{'es' if check.batches != 1 else ''} for store {mode.store!r}.")
    if check.problem_count:
        return _print_problems(check)
    if args.feed_dry_run:
        print("Dry run: every row is fine; nothing was sent.")
        return EXIT_OK
    from budtender_app.services.feeds.progress import ProgressUnreadable

    try:
        result = asyncio.run(_send(check, mode, clock, args.base_url if mode.training else None, hold))
    except ProgressUnreadable as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    return _print_result(result)


def _sales_hold(mode: Mode) -> Callable[[], str | None]:
    """The store setting a sales import follows, read from the settings file before each sale
    (a manager may turn it off in F12 while the import runs): None when on, else why not."""
    from budtender_app.domain.feed_setting import sales_refused, sales_turned_off
    from budtender_app.services.paths import folders
    from budtender_app.services.settings_store import SettingsStore, SettingsUnreadable

    settings = SettingsStore(folders().settings_file(training=mode.training))
    where = f"Settings (F12) on the terminal, the page of store {mode.store!r}" if not mode.training else \
        "Settings (F12) in training mode, the trainee's store page"
    started: list[bool] = []

    def hold() -> str | None:
        try:
            loaded = settings.read()
        except SettingsUnreadable as exc:
            return str(exc)
        profile = loaded.active_profile if mode.training else loaded.profile(mode.store)
        if profile is not None and profile.send_sales:
            started.append(True)
            return None
        return sales_turned_off(where) if started else sales_refused(where)

    return hold


async def _send(check: FileCheck, mode: Mode, clock: Clock, sim_url: str | None,
                hold: Callable[[], str | None] | None) -> ImportResult:
    import httpx

    from budtender_app.services.aiq_config import AiqConfig, RateLimiter, default_timeout
    from budtender_app.services.feeds.client import FeedClient
    from budtender_app.services.feeds.importer import FeedImporter
    from budtender_app.services.feeds.progress import ProgressStore
    from budtender_app.services.paths import folders

    transport: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport()
    config = mode.config
    if mode.training and sim_url:
        config = AiqConfig(sim_url, config.api_key, config.uid)
    elif mode.training:
        from budtender_app.simulator.core import Simulator
        from budtender_app.simulator.transport import SimulatorTransport

        transport = SimulatorTransport(Simulator(base_url=config.base_url))
    cancel = threading.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):  # no signal handlers on Windows' loop
        loop.add_signal_handler(signal.SIGINT, cancel.set)
    progress = ProgressStore(folders().feed_imports(training=mode.training), clock)
    bar = ProgressBar(sys.stderr)
    try:
        async with httpx.AsyncClient(transport=transport, timeout=default_timeout(), follow_redirects=False) as http:
            client = FeedClient(http, config, limiter=RateLimiter(), clock=clock)
            importer = FeedImporter(client, progress, store=mode.store, clock=clock, who=Actor.command_line)
            return await importer.run(check, cancel=cancel, on_progress=bar.show, hold=hold)
    finally:
        bar.end()
        progress.close()


class ProgressBar:
    """A progress bar on ``out``: redrawn in place on a terminal, a line each tenth otherwise."""

    def __init__(self, out: TextIO, width: int = 30) -> None:
        self._out = out
        self._width = width
        self._tty = out.isatty()
        self._tenth = -1
        self._drawn = False

    def show(self, progress: Progress) -> None:
        share = progress.done / progress.batches if progress.batches else 1.0
        filled = int(share * self._width)
        text = (f"[{'#' * filled}{'.' * (self._width - filled)}] {share:4.0%} {progress.done:,}/"
                f"{progress.batches:,} batches, {progress.sent_items:,} sent")
        if progress.refused:
            text += f", {len(progress.refused)} refused"
        if self._tty:
            self._out.write("\r" + text)
            self._drawn = True
        elif int(share * 10) > self._tenth:
            self._tenth = int(share * 10)
            self._out.write(text + "\n")
        self._out.flush()

    def end(self) -> None:
        if self._drawn:
            self._out.write("\n")
            self._out.flush()


def _print_problems(check: FileCheck) -> int:
    for problem in check.problems:
        print(f"  {problem}")
    if check.problem_count > len(check.problems):
        print(f"  ... and {check.problem_count - len(check.problems):,} more.")
    return _fail(f"{check.problem_count:,} problem{'s' if check.problem_count != 1 else ''} in {check.path.name}: "
                 "nothing was sent. Fix the file (or the mapping) and run the import again.", EXIT_BAD_INPUT)


def _print_result(result: ImportResult) -> int:
    from budtender_app.services.feeds.importer import Outcome

    for refusal in result.refused:
        print(f"  refused: {refusal}")
    print(result.message)
    if result.outcome is Outcome.DONE:
        return EXIT_OK
    return EXIT_CANCELLED if result.outcome is Outcome.CANCELLED else EXIT_NOT_ALL_SENT


def _noun(kind: FeedKind) -> str:
    return {FeedKind.SALES: "sales", FeedKind.MEMBERS: "members", FeedKind.INVENTORY: "items"}[kind]


def _fail(message: str, code: int) -> int:
    print(message, file=sys.stderr)
    return code

