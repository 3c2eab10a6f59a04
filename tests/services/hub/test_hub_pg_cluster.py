"""The throwaway PostgreSQL the hub tests use answers on 127.0.0.1 with a password."""

from __future__ import annotations

import psycopg
import pytest

pytestmark = pytest.mark.hub


def test_each_test_gets_its_own_database_on_a_password_protected_server(hub_db):
    with psycopg.connect(hub_db.url, password=hub_db.password, connect_timeout=5) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == (hub_db.name,)
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(hub_db.url, password="wrong", connect_timeout=5)
