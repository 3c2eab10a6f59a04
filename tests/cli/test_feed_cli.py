"""`budtender-app feed ...` against the simulator over real HTTP (training: --demo --base-url)."""

from __future__ import annotations

import pytest

from budtender_app.cli import main


def inventory(tmp_path, count=250, extra=""):
    path = tmp_path / "items.csv"
    path.write_text("Item Code,Description,Price\n" + "".join(f"S{n:04d},Item {n},4.50\n" for n in range(count))
                    + extra, encoding="utf-8")
    return path


def feed(server, *argv):
    return main(["--demo", "--base-url", server.url, "feed", *argv])


def save_mapping(server):
    return feed(server, "mapping", "Till", "--kind", "inventory", "sku=Item Code", "name=Description",
                "salesPrice=Price")


def test_an_inventory_import_with_a_saved_mapping_in_batches(server, tmp_path, capsys):
    assert save_mapping(server) == 0
    assert feed(server, "mappings") == 0
    assert "Till (inventory): sku='Item Code'" in capsys.readouterr().out
    assert feed(server, "inventory", "--csv", str(inventory(tmp_path)), "--mapping", "till") == 0
    out, err = capsys.readouterr()
    assert "items.csv: 250 rows, 250 items in 3 batches" in out and "Sent 250 to AIQ in 3 batches." in out
    assert "3/3 batches, 250 sent" in err  # the progress bar, on stderr
    calls = [r for r in server.simulator.requests if "createUpdateInventory" in r.path]
    assert [len(c.json) for c in calls] == [100, 100, 50]
    assert feed(server, "inventory", "--csv", str(inventory(tmp_path)), "--mapping", "Till") == 0
    assert "(250 sent before, not sent again)" in capsys.readouterr().out
    assert len([r for r in server.simulator.requests if "createUpdateInventory" in r.path]) == 3


def test_a_dry_run_sends_nothing(server, tmp_path, capsys):
    save_mapping(server)
    assert feed(server, "inventory", "--csv", str(inventory(tmp_path)), "--mapping", "Till", "--dry-run") == 0
    assert "Dry run: every row is fine; nothing was sent." in capsys.readouterr().out
    assert server.simulator.requests == []


def test_problems_are_printed_by_line_and_nothing_is_sent(server, tmp_path, capsys):
    save_mapping(server)
    path = inventory(tmp_path, 5, extra="S0001,Twice,4.50\n,No code,1\nS9,Bad,4,50\n")
    assert feed(server, "inventory", "--csv", str(path), "--mapping", "Till") == 2
    out, err = capsys.readouterr()
    assert "line 7: the SKU 'S0001' is already on line 3" in out
    assert "line 8: missing SKU (and no product ID)" in out and "line 9: 4 cells where the header has 3" in out
    assert "3 problems in items.csv: nothing was sent" in err
    assert server.simulator.requests == []


@pytest.mark.parametrize(("argv", "words"), [
    (["inventory", "--csv", "nope.csv"], "Cannot read nope.csv"),
    (["inventory", "--csv", "x.csv", "--mapping", "Nope"], "No column mapping 'Nope'"),
    (["mapping", "M", "--kind", "sales", "sku"], "FIELD=COLUMN"),
    (["mapping", "M", "--kind", "sales", "colour=Colour"], "Not fields of a sales file: colour"),
])
def test_bad_input_gets_exit_2_and_a_clear_message(server, tmp_path, monkeypatch, capsys, argv, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.csv").write_text("sku\nA\n", encoding="utf-8")
    assert feed(server, *argv) == 2
    assert words in capsys.readouterr().err
    assert server.simulator.requests == []


def sales_csv(tmp_path, name="sales.csv"):
    path = tmp_path / name
    path.write_text("pos_id,transaction_date,transaction_total,sku,price,quantity\n"
                    "T1,2026-01-05 10:00:00,10.00,A,10,1\n", encoding="utf-8")
    return path


def trainee_sends_sales(on):
    from budtender_app.domain.settings import StoreProfile
    from budtender_app.services.paths import folders
    from budtender_app.services.settings_store import SettingsStore

    trainee = SettingsStore(folders().settings_file(training=True))
    profile = StoreProfile(name="Class St", store_id="1", uid="1", brand="Practice", send_sales=on)
    trainee.save(trainee.load().with_profile(profile))


def test_a_sales_import_follows_the_stores_setting(server, tmp_path, capsys):
    path = sales_csv(tmp_path)
    assert feed(server, "sales", "--csv", str(path)) == 1  # nothing set up: the setting is off
    err = capsys.readouterr().err
    assert "send them from this terminal\" is off" in err and "Settings (F12)" in err and "count twice" in err
    trainee_sends_sales(False)
    assert feed(server, "sales", "--csv", str(path)) == 1
    assert server.simulator.requests == []
    assert feed(server, "sales", "--csv", str(path), "--dry-run") == 0  # sends nothing: no setting needed
    trainee_sends_sales(True)
    assert feed(server, "sales", "--csv", str(path)) == 0
    assert "TRAINING" in capsys.readouterr().out
    assert list(server.simulator.sales) == ["T1"]


def test_a_sales_import_stops_when_the_setting_is_turned_off_while_it_runs(server, tmp_path, capsys):
    path = tmp_path / "sales.csv"
    path.write_text("pos_id,transaction_date,transaction_total,sku,price,quantity\n" + "".join(
        f"T{n},2026-01-05 10:00:00,10.00,A,10,1\n" for n in range(1, 6)), encoding="utf-8")
    trainee_sends_sales(True)
    # A manager turns it off in F12 as the first sale reaches AIQ.
    server.simulator.on_feed_received = lambda words: trainee_sends_sales(False)
    assert feed(server, "sales", "--csv", str(path)) == 1
    out = capsys.readouterr().out
    assert "Stopped after 1 of 5 batches: the store setting" in out and "was turned off" in out
    assert list(server.simulator.sales) == ["T1"]
    server.simulator.on_feed_received = None
    trainee_sends_sales(True)
    assert feed(server, "sales", "--csv", str(path)) == 0
    assert "Sent 4 to AIQ in 5 batches (1 sent before, not sent again)." in capsys.readouterr().out


def test_the_old_flag_is_gone(server, tmp_path, capsys):
    trainee_sends_sales(True)
    with pytest.raises(SystemExit):
        feed(server, "sales", "--csv", str(sales_csv(tmp_path)), "--pos-sends-no-sales")
    assert "unrecognized arguments: --pos-sends-no-sales" in capsys.readouterr().err


def test_members_and_inventory_need_no_setting(server, tmp_path):
    path = tmp_path / "members.csv"
    path.write_text("phone_number,first_name\n5551234567,Ada\n", encoding="utf-8")
    assert feed(server, "members", "--csv", str(path)) == 0
    assert feed(server, "inventory", "--csv", str(tmp_path / "x.csv")) == 2  # (no such file) but not refused
    assert len(server.simulator.feed_members) == 1


def test_aiq_refusing_a_batch_exits_1_with_the_reason_and_lines(server, tmp_path, capsys):
    save_mapping(server)
    server.inject(400, path_prefix="/api/v1.1/createUpdateInventory",
                  body={"success": False, "message": "Inventory locked"})
    assert feed(server, "inventory", "--csv", str(inventory(tmp_path, 150)), "--mapping", "Till") == 1
    out = capsys.readouterr().out
    assert "refused: batch 1 (lines 2-101): AIQ did not accept this inventory batch: Inventory locked" in out
    assert "AIQ refused 1 batch; 50 sent." in out


@pytest.mark.parametrize("damage", [b"not a database at all" * 100, b""])
def test_a_damaged_progress_file_is_said_in_words_and_nothing_is_sent(server, tmp_path, capsys, damage):
    # A progress file cut short or overwritten between runs ended the command in sqlite's traceback
    # ("file is not a database"); now it says which file and what to do, before anything is sent.
    from budtender_app.services.paths import folders

    save_mapping(server)
    place = folders().feed_imports(training=True)
    place.parent.mkdir(parents=True, exist_ok=True)
    place.write_bytes(b"SQLite format 3\x00" + damage)
    code = feed(server, "inventory", "--csv", str(inventory(tmp_path)), "--mapping", "Till")
    out, err = capsys.readouterr()
    assert code != 0 and "Traceback" not in out + err
    assert place.name in err and "cannot be read" in err
    assert [r for r in server.simulator.requests if "createUpdateInventory" in r.path] == []
