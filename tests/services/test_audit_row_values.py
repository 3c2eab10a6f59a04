"""AuditRow.values / as_dict (the fast copies a push and a chain walk use) are exactly
dataclasses.astuple / asdict: the same hash, the same row on the hub."""

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
