"""What a push to the store hub reads fast: AuditRow.values / as_dict are exactly
dataclasses.astuple / asdict (the same hash, the same row on the hub), and Audit.latest_ids is
latest_for of each row in one query."""

from __future__ import annotations

from dataclasses import asdict, astuple, fields

from hypothesis import given
from hypothesis import strategies as st

from budtender_app.services.journal.audit import AuditRow, row_hash

_KINDS = {f.name: st.integers(-2**63, 2**63 - 1) if f.type in (int, "int") else st.text() for f in fields(AuditRow)}


@given(st.fixed_dictionaries(_KINDS))
def test_values_and_as_dict_are_astuple_and_asdict(kwargs):
    row = AuditRow(**kwargs)
    assert row.values() == astuple(row)
    assert row.as_dict() == asdict(row)
    assert row_hash(row.as_dict(), b"k" * 32) == row_hash(asdict(row), b"k" * 32)


def test_latest_ids_is_latest_for_each_row(tmp_path):
    from budtender_app.services.journal import Journal
    from tests.helpers.hub_journal import SEAL, write_sales

    path = tmp_path / "j.sqlite3"
    write_sales(path, 3)
    with Journal.open_read_only(path, SEAL) as journal:
        audit = journal.audit
        ids = [1, 2, 3, 4, 5, 6, 99]
        assert audit.latest_ids(ids) == {i: audit.latest_for(i).id for i in ids if audit.latest_for(i)}
        assert audit.latest_ids([]) == {}
