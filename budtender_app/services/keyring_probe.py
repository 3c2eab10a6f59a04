"""Imported before keyring: spares every start keyring's macOS probe off macOS.

keyring loads every backend it knows to pick one, and its macOS backend looks up three macOS
frameworks with ``ctypes.util.find_library`` as its API module is imported: off macOS that runs
``ldconfig`` and ``gcc`` three times to find nothing, 35-50 ms of every start of the terminal (and
of every IT command that reads the keyring). Off macOS that backend refuses anyway ("macOS
required", before it looks at its API); with the API module marked not importable it refuses the
same way, and the backend chosen is the same.
"""

from __future__ import annotations

import sys

MACOS_API = "keyring.backends.macOS.api"

if sys.platform != "darwin":
    sys.modules.setdefault(MACOS_API, None)  # type: ignore[arg-type]  # None in sys.modules: "cannot be imported"
