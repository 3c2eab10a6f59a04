"""Replaces hooks-contrib's hook-phonenumbers: the per-country metadata (imported by name at run
time) goes in; the 40 MB geocoder, carrier and time-zone data, which the app never uses, stays out."""

from PyInstaller.utils.hooks import collect_submodules

UNUSED = ("phonenumbers.geocoder", "phonenumbers.geodata", "phonenumbers.carrier",
          "phonenumbers.carrierdata", "phonenumbers.timezone", "phonenumbers.tzdata")

hiddenimports = collect_submodules("phonenumbers", filter=lambda name: not name.startswith(UNUSED))
