"""A hub filled fast, straight in SQL (``generate_series``), not through terminals: for the
store-wide export's tests and benchmark (tests/benchmarks/bench_hub_export.py), where a million
events pushed one by one would take the run's time."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg

#: The fill's events name these people; its details carry neither a phone nor a token.
STAFF = ("Robin", "Sam")


def add_terminal(conn: psycopg.Connection, terminal_id: str, name: str, store: str = "Main St") -> None:
    conn.execute("INSERT INTO hub_terminals (terminal_id, name, store) VALUES (%s, %s, %s) "
                 "ON CONFLICT (terminal_id) DO NOTHING", (terminal_id, name, store))


def fill_events(conn: psycopg.Connection, count: int, *, terminals: int = 2, store: str = "Main St",
                start: datetime, step: timedelta = timedelta(seconds=30)) -> None:
    """``count`` events, spread round-robin over ``terminals`` registers ("till-1" named "Register 1",
    ...), numbered from 1 on each, ``step`` apart from ``start`` (UTC text as terminals push it)."""
    for k in range(1, terminals + 1):
        add_terminal(conn, f"till-{k}", f"Register {k}", store)
    conn.execute(
        """INSERT INTO hub_events (terminal_id, seq, at, event, store, terminal, transaction_id, discount_id,
               discount_name, pos_discount_id, points, detail, prev_hash, hash, entry_id, state, phase,
               fields_version, staff_id, staff_name, approver_id, approver_name)
           SELECT 'till-' || ((g - 1) %% %(k)s + 1), (g - 1) / %(k)s + 1,
               to_char((%(start)s::timestamptz + (g - 1) * %(step)s::interval) AT TIME ZONE 'UTC',
                       'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
               (ARRAY['queued', 'sent', 'redeemed'])[g %% 3 + 1], %(store)s, 'till-' || ((g - 1) %% %(k)s + 1),
               'POS-' || lpad((g / 3)::text, 8, '0'), 'd' || (g %% 7), '$' || (g %% 7) || ' off', 'POS-' || (g %% 7),
               100, '', md5((g - 1)::text) || md5((g - 1)::text || 'x'), md5(g::text) || md5(g::text || 'x'),
               g / 3 + 1, 'redeemed', '', 4, 's-' || (g %% 2), (ARRAY[%(a)s, %(b)s])[g %% 2 + 1], '', ''
           FROM generate_series(1, %(n)s) AS g""",
        {"k": terminals, "start": start, "step": step, "store": store, "n": count, "a": STAFF[0], "b": STAFF[1]})
    conn.commit()
