"""Where the terminal keeps its files, decided in one place for every platform.

``platformdirs`` gives each platform's folders (XDG on Linux, ``%APPDATA%`` on Windows,
``~/Library`` on macOS), read afresh on every call so a test or IT can point them elsewhere with
the platform's own variables (``XDG_DATA_HOME`` ...). Nothing else in the package asks
``platformdirs``; ``tests/test_paths.py`` holds it to that.

- data: the journal, the consent record and the staff accounts (the terminal's own records;
  back these up);
- config: ``settings.json`` (store profiles, manager PIN: never an API key); training keeps its
  own, ``training-settings.json``, so a trainee's F12 and manager PIN never touch the store's;
- state: the journals' markers (on Linux away from the data folder, so a restored backup of
  the data folder alone is noticed);
- log: ``budtender.log`` (redacted; crash reports point at it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_DIR_NAME = "budtender-app"


@dataclass(frozen=True)
class Folders:
    """This computer user's folders for the terminal."""

    data: Path
    config: Path
    state: Path
    log: Path

    @classmethod
    def of_this_user(cls) -> Folders:
        """The folders platformdirs names for this user, now (not cached: tests move them)."""
        return cls(
            data=Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False)),
            config=Path(platformdirs.user_config_dir(APP_DIR_NAME, appauthor=False)),
            state=Path(platformdirs.user_state_dir(APP_DIR_NAME, appauthor=False)),
            log=Path(platformdirs.user_log_dir(APP_DIR_NAME, appauthor=False)),
        )

    def journal(self, *, training: bool = False) -> Path:
        """Training redemptions never share a journal (or an auditor's export) with real ones."""
        return self.data / ("training-journal.sqlite3" if training else "journal.sqlite3")

    def consents(self, *, training: bool = False) -> Path:
        """The sign-up consent record; training's is kept apart (and keyed with a throwaway key)."""
        return self.data / ("training-consents.sqlite3" if training else "consents.sqlite3")

    def staff(self, *, training: bool = False) -> Path:
        """The staff accounts (services/staff/); training's demo staff list is its own file, so a
        trainee's accounts never sign in at the real counter, nor the real ones in training."""
        return self.data / ("training-staff.sqlite3" if training else "staff.sqlite3")

    def settings_file(self, *, training: bool = False) -> Path:
        """The settings file (store profiles, manager PIN); training's is its own, so a trainee
        exploring F12 or setting a manager PIN never reads or writes the real store's."""
        return self.config / ("training-settings.json" if training else "settings.json")

    @property
    def settings(self) -> Path:
        """The real store's settings file (the one ``startup.choose_mode`` reads)."""
        return self.settings_file()

    def feed_imports(self, *, training: bool = False) -> Path:
        """What each feed import sent (services/feeds/progress.py); training's is its own."""
        return self.data / ("training-feed-imports.sqlite3" if training else "feed-imports.sqlite3")

    @property
    def feed_mappings(self) -> Path:
        """The stores' column mappings for POS exports (services/feeds/mappings.py)."""
        return self.config / "feed-mappings.json"

    @property
    def hub_file(self) -> Path:
        """The store hub's address (``services/hub/config.py``): the URL only, its password is in the keyring."""
        return self.config / "hub.json"

    @property
    def journal_markers(self) -> Path:
        return self.state / "journals"

    @property
    def log_file(self) -> Path:
        return self.log / "budtender.log"


def folders() -> Folders:
    """This user's folders (the one place the package decides them)."""
    return Folders.of_this_user()
