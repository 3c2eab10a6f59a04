"""The column mappings of a store's POS exports, saved by name (``feed-mappings.json`` in the
config folder, beside the settings). A mapping holds header names only: nothing secret."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from budtender_app.domain.feed_mapping import ColumnMapping, FeedKind, MappingError, check_mapping


class MappingStore:
    """Mappings per store: ``{"stores": {store: {name: {"kind": ..., "columns": {...}}}}}``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def names(self, store: str, kind: FeedKind | None = None) -> list[str]:
        """The store's mapping names (of one kind, when given), sorted."""
        return sorted(m.name for m in self._all(store).values() if kind is None or m.kind is kind)

    def get(self, store: str, name: str) -> ColumnMapping:
        """The mapping called ``name``; MappingError naming the ones there are when it is not one."""
        found = self._all(store).get(name.strip().casefold())
        if found is None:
            there = ", ".join(self.names(store)) or "none yet"
            raise MappingError(f"No column mapping {name!r} for store {store!r} (there are: {there}).")
        return found

    def save(self, store: str, mapping: ColumnMapping) -> None:
        """Add or replace ``mapping`` (checked again), written whole through a temporary file."""
        checked = check_mapping(mapping.name, mapping.kind, mapping.columns)
        data = self._read()
        stores = data.setdefault("stores", {})
        mine = {k: v for k, v in stores.get(store, {}).items() if k.casefold() != checked.name.casefold()}
        mine[checked.name] = {"kind": checked.kind.value, "columns": dict(checked.columns)}
        stores[store] = mine
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".feed-mappings-")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2)
        os.replace(tmp, self.path)

    def _all(self, store: str) -> dict[str, ColumnMapping]:
        found: dict[str, ColumnMapping] = {}
        for name, raw in self._read().get("stores", {}).get(store, {}).items():
            try:
                mapping = check_mapping(name, FeedKind(raw["kind"]), dict(raw["columns"]))
            except (MappingError, KeyError, TypeError, ValueError):
                continue  # a hand-edited entry that cannot be used is skipped, not fatal
            found[mapping.name.casefold()] = mapping
        return found

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise MappingError(f"The column mappings file {self.path} cannot be read: {exc}") from None
        return data if isinstance(data, dict) else {}
