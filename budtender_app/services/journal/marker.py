"""What the terminal keeps outside the journal to notice one that lost its last events: a marker
file in the state folder with the journal's id, its event count and last hash, and an HMAC by the
journal's key, replaced whole after every commit (see ``guard.py``)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from budtender_app.services.journal.seal import Seal
from budtender_app.services.paths import folders

log = logging.getLogger("budtender_app.services.journal_guard")  # its name before the package: log filters hold


def marker_dir() -> Path:
    """The state folder's ``journals`` folder (on Linux away from the data folder the journal is in;
    settings stay alone in the config folder)."""
    return folders().journal_markers


def journal_name(path: Path) -> str:
    """The journal's name in the keyring and the marker folder: a hash of its full path."""
    return "journal-" + hashlib.sha256(str(path.resolve()).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Marker:
    journal_id: str
    events: int
    last_hash: str
    mac: str = ""

    @classmethod
    def sealed(cls, seal: Seal, events: int, last_hash: str) -> Marker:
        return cls(seal.journal_id, events, last_hash, _marker_mac(seal, events, last_hash))

    def valid_for(self, seal: Seal) -> bool:
        return hmac.compare_digest(self.mac, _marker_mac(seal, self.events, self.last_hash)) and (
            self.journal_id == seal.journal_id)


def _marker_mac(seal: Seal, events: int, last_hash: str) -> str:
    message = f"budtender-journal-marker:{seal.journal_id}:{events}:{last_hash}".encode()
    return hmac.new(seal.key, message, hashlib.sha256).hexdigest()


class MarkerFile:
    """The journal's last known event count and hash, replaced whole after every commit."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Marker | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return Marker(str(data["journal_id"]), int(data["events"]), str(data["last_hash"]),
                          str(data.get("mac", "")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("the journal marker %s is unreadable; ignoring it", self.path)
            return None

    def save(self, marker: Marker) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".marker.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(asdict(marker), handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
