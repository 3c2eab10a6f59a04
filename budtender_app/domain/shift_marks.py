"""The audit events that mark a shift (domain/shifts.py), apart from the shift report's code.

The staff session writes them at every sign-in and sign-out, from the terminal's start on; the
shift report that reads them back (shifts, figures, flags) loads when a manager first opens it.
"""

from __future__ import annotations

from enum import StrEnum

SIGNED_IN = "signed_in"
SIGNED_OUT = "signed_out"


class SignOut(StrEnum):
    """Why a shift ended, as the "signed_out" event's detail says."""

    SWITCHED = "switched"  # Switch cashier (Ctrl+L)
    IDLE = "idle"  # the idle lock
    QUIT = "quit"  # the app closed while someone was signed in
    REMOVED = "account removed"  # removed at another register, heard through the store hub
