"""The store hub (issue 15): where a store's terminals meet, on PostgreSQL through psycopg 3.

The terminal's own SQLite journal stays the source of truth and works with no network; the hub
is fed from it idempotently, keyed by (terminal, sequence), and never blocks a sale.

- ``config``: the hub's address (a file holding the URL only) and its password (OS keyring),
  TLS required except to this computer; ``connect`` with a short ``connect_timeout``.
- ``schema``: the hub's tables, versioned in ``hub_meta``, migrated in order.
- ``push``: a journal's audit events and redemption rows to the hub, from the hub's own last
  sequence for this terminal (a hub restored from an older backup is refilled).
- ``chain``: each terminal's audit chain checked on the hub's copy.
- ``status``: what ``hub status`` says.
"""
