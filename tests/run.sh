#!/usr/bin/env bash
# Installs what the tests need and runs them all: README's test command, and what .ci/run runs.
#   bash tests/run.sh [pytest args...]
# It runs ruff and mypy first, then pytest, and reports the line and branch coverage of the money
# path (pyproject.toml, [tool.coverage]).
# BUDTENDER_FAKETIME="@2027-03-14 01:59:30" runs pytest alone under Debian's faketime, started at
# that moment (CI: the suite must depend on no date); TZ passes through as usual. (libfaketime
# 0.9.10 shifts the monotonic clock too: with FAKETIME_DONT_FAKE_MONOTONIC every sleep fails.)
# Needs Debian's xvfb, dbus, gnome-keyring, libxcb-cursor0, postgresql (installed here when run as root;
# the hub tests start their own throwaway PostgreSQL cluster from its binaries, tests/helpers/pg.py).
set -euo pipefail
cd "$(dirname "$0")/.."

debs=(xvfb xauth dbus dbus-x11 gnome-keyring poppler-utils libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4
      libxcb-keysyms1 libxcb-shape0 libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-xinerama0
      libegl1 libgl1 libfontconfig1 libdbus-1-3 fonts-dejavu-core xdotool faketime postgresql)
missing=()
for pkg in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing Debian packages the tests need: ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    echo "The tests need these Debian packages: sudo apt-get install ${missing[*]}" >&2
    exit 2
  fi
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

# The checks first (pyproject.toml has their rules): lint and import order, then types. Once per
# run of the suite; BUDTENDER_FAKETIME runs (CI's second and third) skip them.
if [ -z "${BUDTENDER_FAKETIME:-}" ]; then
  .venv/bin/ruff check budtender_app tests packaging
  .venv/bin/mypy
fi

# A private D-Bus session with an unlocked GNOME keyring: the real Secret Service the keyring
# tests need, gone when the run ends. Offscreen Qt unless a test asks for Xvfb itself.
# The daemon keeps its keyrings in a throwaway folder (never the user's ~/.local/share/keyrings)
# and gets a non-empty password on stdin: with an empty one gnome-keyring creates no "login"
# keyring, so there is no default collection and every write asks a GUI prompt that cannot show.
export QT_QPA_PLATFORM=offscreen
export BUDTENDER_REQUIRE_KEYRING=1
exec dbus-run-session -- bash -c '
  keyring_home=$(mktemp -d)
  trap "rm -rf \"\$keyring_home\"" EXIT
  mkdir -m 700 "$keyring_home/data" "$keyring_home/run"
  eval "$(printf "budtender-tests" | XDG_DATA_HOME="$keyring_home/data" XDG_RUNTIME_DIR="$keyring_home/run" \
    gnome-keyring-daemon --daemonize --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL
  if [ -n "${BUDTENDER_FAKETIME:-}" ]; then
    exec faketime -f "$BUDTENDER_FAKETIME" .venv/bin/python -m pytest "$@"
  fi
  exec .venv/bin/python -m pytest --cov --cov-report=term "$@"
' bash "$@"
