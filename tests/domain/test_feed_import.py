"""A POS export read into AIQ's bodies: every problem found first, with its line number."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from budtender_app.domain.feed_import import Context, FileReader, Item, batches
from budtender_app.domain.feed_mapping import ColumnMapping, FeedKind, MappingError, check_mapping
from budtender_app.domain.feed_rows import Problem

CONTEXT = Context("Main St", UTC, datetime(2026, 12, 2, tzinfo=UTC))


def read(kind: FeedKind, text: str | bytes, mapping: ColumnMapping | None = None):
    data = text if isinstance(text, bytes) else text.encode()
    found = list(FileReader(kind, mapping, CONTEXT).items(io.BytesIO(data)))
    return [f for f in found if isinstance(f, Item)], [str(f) for f in found if isinstance(f, Problem)]


SALES = """pos_id,transaction_date,transaction_total,sku,price,quantity,mobilePhone,name
T1,2026-12-01 10:00:00,40.00,A1,20.00,2,(555) 123-4567,Gummies
T1,2026-12-01 10:00:00,40.00,A2,0,1,(555) 123-4567,Sticker
R1,2026-12-01 11:00:00,-20.00,A1,20.00,-1,,Gummies
"""


def test_sales_lines_are_grouped_by_transaction_and_a_refund_is_negative():
    items, problems = read(FeedKind.SALES, SALES)
    assert problems == []
    sale, refund = (i.body for i in items)
    assert sale["visit"]["pos_id"] == "T1" and sale["visit"]["location"] == "Main St"
    assert sale["visit"]["transaction_date"] == "2026-12-01 10:00:00 +0000"
    assert [line["sku"] for line in sale["visit"]["visit_details_attributes"]] == ["A1", "A2"]
    assert sale["member"] == {"mobilePhone": "5551234567"}
    assert refund["visit"]["visit_details_attributes"][0]["quantity"] == -1
    assert refund["visit"]["transaction_total"] == -20 and "member" not in refund
    assert (items[0].first_line, items[0].last_line) == (2, 3)


@pytest.mark.parametrize(("row", "reason"), [
    ("T2,2026-12-01 10:00:00,12.5x,A1,1,1,,x", "line 5: transaction_total: not money: '12.5x'"),
    ("T2,2026-31-01 10:00:00,12.50,A1,1,1,,x", "line 5: transaction_date: bad date and time"),
    ("T2,2026-12-01 10:00:00,12.50,,1,1,,x", "line 5: sku: missing"),
    ("T2,2026-12-01 10:00:00,12.50,A1,1,1,555-1234,x", "line 5: mobilePhone: bad phone"),
    ("T1,2026-12-01 10:00:00,40.00,A3,0,1,(555) 123-4567,x", "line 5: a line of transaction 'T1'"),
    ("R1,2026-12-01 11:00:00,-20.00,A1,20.00,-1,,Gummies", "line 5: the same as line 4"),
    ("T2,2026-12-01 10:00:00,12.50,A1,1,1,x", "line 5: 7 cells where the header has 8"),
])
def test_a_bad_sales_row_is_named_by_its_line(row, reason):
    _items, problems = read(FeedKind.SALES, SALES + row + "\n")
    assert len(problems) == 1 and problems[0].startswith(reason), problems


def test_rows_for_another_store_are_refused():
    text = "sku,name,location\nA1,x,Main St\nA2,y,main st \nA3,z,Elm Ave\n"
    items, problems = read(FeedKind.INVENTORY, text)
    assert [i.key for i in items] == ["sku:A1", "sku:A2"] and "location" not in items[0].body
    assert problems == ["line 4: a row for another store ('Elm Ave'; this is 'Main St')"]


def test_members_are_never_loyal_without_a_yes_in_the_consent_column():
    text = ("phone_number,email,first_name,loyalty\n555-123-4567,,Ann,yes\n555-123-4568,,Bo,\n"
            "555-123-4569,,Cy,no\n,c@d.example,Di,maybe\n")
    items, problems = read(FeedKind.MEMBERS, text)
    assert [i.body["loyalty"] for i in items] == [True, False, False]
    assert problems == ["line 5: loyalty: not yes or no: 'maybe'"]
    items, _ = read(FeedKind.MEMBERS, "phone_number,first_name\n5551234567,Ann\n")
    assert items[0].body["loyalty"] is False


def test_a_member_phone_aiq_would_store_blank_refuses_the_row_and_is_not_shown_whole():
    _items, problems = read(FeedKind.MEMBERS, "phone_number\n555-1234\n5551234567\n(555) 123-4567\n")
    assert problems[0].startswith("line 2: phone_number: bad phone")
    assert problems[1] == "line 4: the phone ***-***-4567 is already on line 3"


def test_inventory_needs_a_sku_or_product_id_and_each_only_once():
    items, problems = read(FeedKind.INVENTORY, "sku,productId,salesPrice\nA1,,1.00\n,P9,2\n,,3\nA1,,1.50\n")
    assert [i.key for i in items] == ["sku:A1", "productId:P9"]
    assert problems == ["line 4: missing SKU (and no product ID)", "line 5: the SKU 'A1' is already on line 2"]


def test_a_file_not_in_utf8_is_reported_with_the_line():
    _, problems = read(FeedKind.INVENTORY, b"sku,name\nA1,Caf\xe9\nA2,ok\n")
    assert problems == ["line 2: not UTF-8 text: save the file as 'CSV UTF-8' and import it again"]
    items, problems = read(FeedKind.INVENTORY, b"\xef\xbb\xbfsku,name\nA1,Caf\xc3\xa9\n")
    assert problems == [] and items[0].body["name"] == "Café"


def test_a_missing_required_column_is_said_once_for_the_file():
    _, problems = read(FeedKind.SALES, "pos_id,sku\nT1,A1\n")
    assert problems == [("line 1: Missing required columns: 'transaction_date', 'transaction_total', "
                        "'quantity' (or choose a column mapping).")]
    assert read(FeedKind.INVENTORY, "")[1] == ["The file is empty."]
    assert read(FeedKind.INVENTORY, "sku\n")[1] == ["The file has a header but no rows."]


def test_a_mapping_names_the_pos_columns_and_the_problems_use_them():
    mapping = check_mapping("Till export", FeedKind.INVENTORY, {"sku": "Item Code", "salesPrice": "Price"})
    items, problems = read(FeedKind.INVENTORY, "Item Code,Price,name\nA1,$1,234.00,x\n", mapping)
    assert problems == ["line 2: 4 cells where the header has 3 (a comma or quote out of place?)"]
    items, problems = read(FeedKind.INVENTORY, 'Item Code,Price,name\nA1,"$1,234.00",x\nA2,abc,y\n', mapping)
    assert items[0].body == {"sku": "A1", "salesPrice": 1234, "name": "x"}
    assert problems == ["line 3: Price: not money: 'abc' (write it like 12.50)"]


def test_mappings_are_checked():
    for columns in ({"nope": "X"}, {"sku": " "}, {"sku": "A", "name": "a"}):
        with pytest.raises(MappingError):
            check_mapping("m", FeedKind.INVENTORY, columns)
    with pytest.raises(MappingError, match="name"):
        check_mapping("../etc", FeedKind.INVENTORY, {})


SKU = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
              min_size=1, max_size=12)


@given(st.lists(st.tuples(SKU, st.decimals(0, 9999, places=2), st.integers(0, 500)), max_size=30,
                unique_by=lambda r: r[0].strip()))
def test_any_inventory_written_as_csv_reads_back_whole(rows):
    rows = [r for r in rows if r[0].strip()]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["sku", "salesPrice", "quantity"])
    writer.writerows((sku, f"{price:.2f}", qty) for sku, price, qty in rows)
    items, problems = read(FeedKind.INVENTORY, out.getvalue())
    if not rows:
        assert problems == ["The file has a header but no rows."]
        return
    assert problems == []
    assert [(i.body["sku"], i.body["salesPrice"], i.body["quantity"]) for i in items] == [
        (sku.strip(), price if price % 1 else int(price), qty) for sku, price, qty in rows]


@given(st.binary(max_size=300))
def test_any_bytes_give_items_or_problems_never_an_exception(data):
    for kind in FeedKind:
        read(kind, b"sku,pos_id,transaction_date,transaction_total,quantity,phone_number\n" + data)


def test_batches_hold_at_most_their_size():
    assert [len(b) for b in batches(range(250), 100)] == [100, 100, 50]  # type: ignore[arg-type]  # any items


def test_a_mapping_for_another_kind_of_file_is_refused_at_the_header():
    mapping = check_mapping("Till export", FeedKind.INVENTORY, {"sku": "Item Code"})
    _, problems = read(FeedKind.SALES, "Item Code\nA1\n", mapping)
    assert problems == ["line 1: The mapping 'Till export' is for inventory files, not sales."]


def test_cells_quoted_in_a_reason_never_show_a_whole_phone_or_email():
    text = ("sku,salesPrice,location\nA1,555-123-4567,Main St\nA2,1,ann@example.com\n"
            "ann@example.com,1,Main St\nann@example.com,2,Main St\n")
    _, problems = read(FeedKind.INVENTORY, text)
    joined = " ".join(problems)
    assert "555-123-4567" not in joined and "ann@example.com" not in joined
    assert problems[0].startswith("line 2: salesPrice: not money: '***4567'")
    assert problems[2].startswith("line 5: the SKU '***@example.com' is already on line 4")


def test_a_utf16_file_is_one_problem_for_the_file():
    _, problems = read(FeedKind.INVENTORY, "sku,name\nA1,x\n".encode("utf-16"))
    assert problems == ["line 1: the file is UTF-16 text, not UTF-8: save the file as 'CSV UTF-8' and import it again"]


def test_a_header_of_many_thousand_columns_is_read_at_once():
    # Checking the header for doubled names once went through the header for each name: a
    # file of 100,000 columns (a hostile or broken export) held the check for minutes.
    header = ",".join(f"c{i}" for i in range(100_000)) + ",sku"
    items, problems = read(FeedKind.INVENTORY, header + "\n" + "," * 100_000 + "A1\n")
    assert [i.key for i in items] == ["sku:A1"] and problems == []
    _, problems = read(FeedKind.INVENTORY, header + ",C7,sku\nA1\n")
    assert problems == ["line 1: The header has these columns twice: c7, sku."]


def test_a_file_whose_lines_end_in_a_lone_cr_is_told_how_to_save_it():
    # Excel's "CSV (Macintosh)" ends lines in CR alone: once reported as "not CSV (new-line
    # character seen in unquoted field - do you need to open the file in universal-newline
    # mode?)", words for a programmer.
    _, problems = read(FeedKind.INVENTORY, b"sku,name\rA1,x\rA2,y\r")
    assert problems == [("line 1: the lines of this file end in a carriage return alone (an old Mac "
                         "format): save the file as 'CSV UTF-8' and import it again")]
    items, problems = read(FeedKind.INVENTORY, b'sku,name\r\nA1,"two\r\nlines"\r\n')
    assert [i.body["name"] for i in items] == ["two\r\nlines"] and problems == []


def test_a_nul_character_refuses_its_line_rather_than_reaching_aiq():
    # A NUL is valid UTF-8, so it went through to AIQ inside a SKU; it is a sign of a file saved in
    # another encoding (UTF-16 without its mark) or damaged.
    items, problems = read(FeedKind.INVENTORY, b"sku,name\nA1\x00,x\nA2,y\n")
    assert [i.key for i in items] == ["sku:A2"]
    assert problems == [("line 2: a NUL character (the file is damaged, or in another encoding): "
                         "save the file as 'CSV UTF-8' and import it again")]


def test_a_line_longer_than_the_reader_takes_at_once_keeps_the_files_line_numbers():
    # The importer reads the file in pieces of at most 1 MB (readline's limit): each piece of a
    # 3 MB line was counted as a line, so every line after it was reported under the wrong number.
    piece = 1 << 20
    data = io.BytesIO(b"sku,name\nA1,x\n" + b"B" * (3 * piece) + b",y\n,no sku\n")
    found = list(FileReader(FeedKind.INVENTORY, None, CONTEXT).items(iter(lambda: data.readline(piece), b"")))
    problems = [f for f in found if isinstance(f, Problem)]
    assert {p.line for p in problems} == {3, 4}
    assert str(problems[-1]) == "line 4: missing SKU (and no product ID)"
