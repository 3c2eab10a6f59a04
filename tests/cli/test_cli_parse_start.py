"""Starting the window parses its own options only: IT's commands (report, journal, staff, hub and
psycopg) are not imported at the terminal's start-up, about 150 ms of modules."""

from __future__ import annotations

import subprocess
import sys

import pytest

from budtender_app.cli import parse


def test_the_windows_start_imports_none_of_its_commands():
    code = ("import sys; from budtender_app.cli import parse; args = parse(['--demo', '--debug']); "
            "assert args.demo and args.command is None; "
            "heavy = [m for m in ('budtender_app.cli.report', 'budtender_app.cli.journal', 'budtender_app.cli.staff', "
            "'budtender_app.cli.hub', 'budtender_app.cli.feed', 'budtender_app.cli.hub_report', 'psycopg') "
            "if m in sys.modules]; "
            "assert not heavy, heavy")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("argv", [["report", "--date", "2026-11-22"], ["--store", "Main", "hub", "status"]])
def test_a_command_still_gets_the_whole_parser(argv):
    assert parse(argv).command == argv[0] if argv[0] != "--store" else parse(argv).command == "hub"


def test_an_unknown_word_gets_the_whole_parsers_error(capsys):
    with pytest.raises(SystemExit) as stop:
        parse(["reprot"])
    assert stop.value.code == 2 and "invalid choice" in capsys.readouterr().err
