"""`budtender-app redemptions pending|export`, run through the parser the app's CLI will use."""

from __future__ import annotations

import argparse
import csv
import sqlite3
import sys
from contextlib import closing
from datetime import UTC, date, datetime, timedelta

import pytest

from budtender_app.cli.journal import build_redemptions_parser, run_redemptions
from budtender_app.domain.actor import Actor
from budtender_app.domain.wallet import Discount
from budtender_app.services.journal import Journal, JournalLock

CASHIER = Actor("7", "Dana Cashier")

TOKEN = "tok3nSECRETvalue99"


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="budtender-app")
    build_redemptions_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    assert args.command == "redemptions"
    return run_redemptions(args)


def discount(n: int, points: int = 100) -> Discount:
    return Discount(id=f"d{n}", name=f"Discount {n}", points=points, pos_discount_id=f"POS-{n}",
                    redemption_url=f"https://lab.alpineiq.com/api/v1.1/discount/redeem/1/d{n}/{TOKEN}")


@pytest.fixture
def path(tmp_path):
    return tmp_path / "journal.sqlite3"


@pytest.fixture
def running_app(path):
    """The terminal, running: it holds the lock and its connection while the commands run."""
    moments = iter(datetime(2024, 5, 31, 18, 0, tzinfo=UTC) + timedelta(seconds=s) for s in range(10_000))
    j = Journal(path, store="Main St", terminal="till-1", clock=lambda: next(moments),
                lock=JournalLock(path).acquire())
    yield j
    j.close()


def some_redemptions(journal: Journal) -> None:
    a, b, c = journal.queue("T-1", [discount(1), discount(2, 250), discount(3)],
                            staff=CASHIER, shopper_masked="***-***-4567", contact_id="C-1")
    journal.mark_sending(a.id)
    journal.mark_redeemed(a.id, "R-1")
    journal.mark_sending(b.id)
    journal.mark_unknown(b.id, "AIQ did not answer in time")
    journal.mark_sending(c.id)
    journal.mark_not_sent(c.id, "Cannot reach AIQ")


# -- pending ------------------------------------------------------------------------------------

def test_pending_with_no_journal_yet(path, capsys):
    assert run("redemptions", "--journal", str(path), "pending") == 0
    assert capsys.readouterr().out.startswith("Nothing pending.")


def test_pending_with_nothing_open(running_app, path, capsys):
    assert run("redemptions", "--journal", str(path), "pending") == 0
    assert capsys.readouterr().out == "Nothing pending.\n"


def test_pending_lists_unknown_and_unsent_while_the_app_runs(running_app, path, capsys):
    some_redemptions(running_app)
    assert run("redemptions", "--journal", str(path), "pending") == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["time", "transaction", "discount", "POS", "id", "points", "state", "message"]
    assert "Discount 1" not in out  # redeemed: not open
    assert "Discount 2" in lines[1] and "POS-2" in lines[1] and "250" in lines[1] and "unknown" in lines[1]
    assert lines[1].endswith("AIQ did not answer in time")
    assert "Discount 3" in lines[2] and "queued" in lines[2] and lines[2].endswith("Cannot reach AIQ")
    assert "2 pending" in lines[3]
    assert TOKEN not in out


def test_pending_shows_a_redemption_left_mid_send(running_app, path, capsys):
    (entry,) = running_app.queue("T-5", [discount(1)], staff=CASHIER, shopper_masked="", contact_id="")
    running_app.mark_sending(entry.id)
    assert run("redemptions", "--journal", str(path), "pending") == 0
    assert "stopped mid-send" in capsys.readouterr().out


def test_pending_names_stores_when_there_are_several(running_app, path, capsys):
    some_redemptions(running_app)
    elm = Journal(path, store="Elm St", terminal="till-2")
    elm.queue("T-9", [discount(1)], staff=CASHIER, shopper_masked="", contact_id="")
    elm.close()
    assert run("redemptions", "--journal", str(path), "pending") == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:2] == ["time", "store"]
    assert "Elm St" in out and "Main St" in out


def test_the_commands_write_nothing(running_app, path):
    some_redemptions(running_app)
    before = running_app.audit.rows()
    run("redemptions", "--journal", str(path), "pending")
    assert running_app.audit.rows() == before


# -- export -------------------------------------------------------------------------------------

def test_export_writes_the_csv_while_the_app_runs(running_app, path, tmp_path, capsys):
    some_redemptions(running_app)
    target = tmp_path / "audit.csv"
    assert run("redemptions", "--journal", str(path), "export", "--since", "2024-05-01",
               "--until", "2024-06-30", "--csv", str(target)) == 0
    with open(target, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == running_app.export_rows(date(2024, 5, 1), date(2024, 6, 30))
    assert len(rows) == 9
    assert capsys.readouterr().out.startswith(f"Wrote 9 audit events (2024-05-01 to 2024-06-30) to {target}")
    assert TOKEN not in target.read_text(encoding="utf-8")


def test_export_to_standard_output(running_app, path, capsys):
    some_redemptions(running_app)
    assert run("redemptions", "--journal", str(path), "export", "--since", "2024-05-31", "--csv", "-") == 0
    out = capsys.readouterr().out
    assert out.startswith("time,event,store,terminal,transaction_id,discount,pos_discount_id,points,detail,"
                          "staff,approved_by,hash")
    assert out.count("\n") == 10


def test_a_broken_chain_warns_exits_4_and_still_exports(running_app, path, tmp_path, capsys):
    some_redemptions(running_app)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("UPDATE audit SET points = 1 WHERE id = 4")
    target = tmp_path / "audit.csv"
    assert run("redemptions", "--journal", str(path), "export", "--since", "2024-05-01", "--csv", str(target)) == 4
    captured = capsys.readouterr()
    assert captured.err.startswith("WARNING: Audit trail broken at event #4 (edited)")
    assert len(target.read_text(encoding="utf-8").splitlines()) == 10


@pytest.mark.parametrize(("since", "until", "said"), [
    ("31/05/2024", None, "--since '31/05/2024' is not a date"),
    ("2024-05-01", "2024-02-30", "--until '2024-02-30' is not a date"),
    ("2024-06-01", "2024-05-01", "--until 2024-05-01 is before --since 2024-06-01"),
])
def test_bad_dates_exit_2_with_a_message(running_app, path, tmp_path, capsys, since, until, said):
    argv = ["redemptions", "--journal", str(path), "export", "--since", since, "--csv", str(tmp_path / "x.csv")]
    if until:
        argv += ["--until", until]
    assert run(*argv) == 2
    assert said in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


def test_export_without_a_journal_exits_1(path, tmp_path, capsys):
    assert run("redemptions", "--journal", str(path), "export", "--since", "2024-05-01",
               "--csv", str(tmp_path / "x.csv")) == 1
    assert "no redemption journal" in capsys.readouterr().err


def test_export_into_a_missing_folder_says_so(running_app, path, tmp_path, capsys):
    target = tmp_path / "nope" / "audit.csv"
    assert run("redemptions", "--journal", str(path), "export", "--since", "2024-05-01", "--csv", str(target)) == 2
    assert "Cannot write" in capsys.readouterr().err


def test_export_needs_since_and_csv():
    with pytest.raises(SystemExit) as exit_info:
        run("redemptions", "export", "--csv", "x.csv")
    assert exit_info.value.code == 2


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="conftest redirects XDG folders only")
def test_the_default_journal_is_the_users(tmp_path, capsys):
    # conftest points XDG_DATA_HOME at the test's folder; the app would write its journal there
    with Journal(tmp_path / "data" / "budtender-app" / "journal.sqlite3", store="s", terminal="t") as j:
        j.queue("T-1", [discount(1)], staff=CASHIER, shopper_masked="", contact_id="")
    assert run("redemptions", "pending") == 0
    assert "T-1" in capsys.readouterr().out


# -- damaged journals and `journal check|accept-fresh` ---------------------------------------------

def test_a_file_that_is_not_a_journal_says_damaged_without_a_traceback(path, tmp_path, capsys):
    path.write_bytes(b"not a database" * 1000)
    assert run("redemptions", "--journal", str(path), "pending") == 1
    assert run("redemptions", "--journal", str(path), "export", "--since", "2024-05-01",
               "--csv", str(tmp_path / "x.csv")) == 1
    err = capsys.readouterr().err
    assert "damaged" in err and "Traceback" not in err


def test_a_journal_damaged_inside_lists_what_it_can_and_warns(running_app, path, capsys):
    some_redemptions(running_app)
    running_app.close()
    with closing(sqlite3.connect(path)) as db, db:
        for n in range(300):
            db.execute("INSERT INTO journal_meta VALUES (?, ?)", (f"pad{n}", "x" * 200))
    data = bytearray(path.read_bytes())
    data[3 * 4096 + 200:4 * 4096] = b"\xa5" * (4096 - 200)
    path.write_bytes(bytes(data))
    assert run("redemptions", "--journal", str(path), "pending") == 5
    captured = capsys.readouterr()
    assert "WARNING: the redemption journal" in captured.err and "damaged" in captured.err
    assert "Traceback" not in captured.err + captured.out


def test_a_read_error_past_the_header_is_a_message(path, capsys, monkeypatch):
    Journal(path, store="s", terminal="t").close()

    def malformed(self, **kwargs):
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(Journal, "pending", malformed)
    assert run("redemptions", "--journal", str(path), "pending") == 1
    assert "is damaged (database disk image is malformed)" in capsys.readouterr().err


def main(*argv: str) -> int:
    from budtender_app.cli import main as cli_main

    return cli_main(list(argv))


@pytest.mark.keyring
def test_journal_check_and_accept_fresh_for_a_deleted_journal(tmp_path, capsys):
    from budtender_app.services.credentials import CredentialStore
    from budtender_app.services.journal.guard import JournalGuard, journal_name

    path = tmp_path / "data" / "budtender-app" / "journal.sqlite3"  # the default one, see conftest
    keys = CredentialStore()
    try:
        with JournalGuard(path, keys).open(store="s", terminal="t", clock=lambda: datetime.now(UTC)) as j:
            j.record_event("pin_skipped", staff=CASHIER)
        assert main("journal", "check") == 0
        assert "in order: 1 events" in capsys.readouterr().out
        path.unlink()
        assert main("redemptions", "pending") == 1, "not 'nothing pending'"
        assert "is missing" in capsys.readouterr().err
        assert main("journal", "check") == 5
        err = capsys.readouterr().err
        assert "is missing" in err and "journal accept-fresh" in err
        with JournalLock(path):
            assert main("journal", "accept-fresh") == 3
            assert "quit it first" in capsys.readouterr().err
        assert main("journal", "accept-fresh") == 0
        assert "new redemption journal" in capsys.readouterr().out
        assert main("journal", "--journal", str(path), "check") == 0
        assert main("journal", "accept-fresh") == 0
        assert "nothing to accept" in capsys.readouterr().out
    finally:
        keys.forget_journal_seal(journal_name(path))


def test_journal_commands_without_a_keyring_say_why(monkeypatch, capsys):
    from budtender_app.cli import journal as journal_cli
    from budtender_app.services.credentials import KeyringUnavailable

    def no_keyring(self):
        raise KeyringUnavailable("test: none")

    monkeypatch.setattr(journal_cli.CredentialStore, "ensure_usable", no_keyring)
    assert main("journal", "check") == 5
    assert "secure password store" in capsys.readouterr().err


def test_journal_accept_fresh_on_an_unwritable_folder_exits_5(tmp_path, monkeypatch, capsys):
    from budtender_app.cli import journal as journal_cli
    from tests.helpers.memory_keyring import MemoryKeyring

    real = journal_cli.CredentialStore
    monkeypatch.setattr(journal_cli, "CredentialStore", lambda: real(MemoryKeyring()))
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    assert main("journal", "--journal", str(blocker / "journal.sqlite3"), "accept-fresh") == 5
    err = capsys.readouterr().err
    assert "cannot write its redemption journal" in err and "Traceback" not in err
