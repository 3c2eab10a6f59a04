#!/usr/bin/env bash
# Runs the BUILT app (dist/budtender-app, from packaging/build.sh), not the source:
#   bash packaging/smoke_test.sh [dist/budtender-app]
# 1. `budtender-app --self-test --require-keyring` offscreen, inside a private D-Bus session with an
#    unlocked GNOME keyring (as tests/run.sh makes one): Qt and its plugins, the icon, phone
#    numbers' data, a REAL keyring backend answering (frozen apps are known to lose them), and a
#    demo redemption over HTTP on 127.0.0.1 through the real view model, client and window.
# 2. the same on a real X server (Xvfb, the xcb platform plugin a till's desktop uses), when Xvfb
#    is installed.
# 3. the plain command line: --version, and --help listing the commands IT uses.
# Needs Debian's dbus, gnome-keyring (and xvfb for 2); tests/run.sh installs them when root.
set -euo pipefail
cd "$(dirname "$0")/.."
folder=${1:-dist/budtender-app}
app="$folder/budtender-app"
if [ ! -x "$app" ]; then
  echo "No built app at $app: run bash packaging/build.sh first." >&2
  exit 2
fi
for tool in dbus-run-session gnome-keyring-daemon; do
  command -v "$tool" >/dev/null || { echo "The smoke test needs $tool (Debian: dbus, gnome-keyring)." >&2; exit 2; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The app's own folders (settings, journal, logs) in a throwaway place: never a real store's.
export XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" XDG_STATE_HOME="$work/state" XDG_CACHE_HOME="$work/cache"
failures=0

expect() {  # expect LABEL FILE PATTERN...: every pattern is in the output
  local label=$1 file=$2
  shift 2
  for pattern in "$@"; do
    if ! grep -qE "$pattern" "$file"; then
      echo "FAIL ($label): no line matching '$pattern' in:" >&2
      sed 's/^/    /' "$file" >&2
      failures=$((failures + 1))
    fi
  done
}

echo "== self-test, offscreen, with a real keyring (GNOME keyring on a private D-Bus session)"
set +e
QT_QPA_PLATFORM=offscreen dbus-run-session -- bash -c '
  keyring_home=$(mktemp -d)
  trap "rm -rf \"\$keyring_home\"" EXIT
  mkdir -m 700 "$keyring_home/data" "$keyring_home/run"
  eval "$(printf "budtender-smoke" | XDG_DATA_HOME="$keyring_home/data" XDG_RUNTIME_DIR="$keyring_home/run" \
    gnome-keyring-daemon --daemonize --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL
  "$1" --self-test --require-keyring
' bash "$app" >"$work/keyring.out" 2>&1
rc=$?
set -e
cat "$work/keyring.out"
[ "$rc" = 0 ] || { echo "FAIL: the self-test exited $rc" >&2; failures=$((failures + 1)); }
expect "keyring" "$work/keyring.out" "frozen \(PyInstaller\)" "^ok +Qt: .*offscreen" "^ok +icon: 256x256" \
  "^ok +phone numbers" "^ok +keyring: the Secret Service keyring, a real OS keyring, answered" \
  "^ok +demo redemption: .* redeemed for [0-9,]+ points" "^self-test PASSED"

if command -v Xvfb >/dev/null; then
  echo "== self-test on a real X server (Xvfb, xcb platform plugin), no keyring"
  Xvfb -displayfd 9 -screen 0 1280x800x24 -nolisten tcp 9>"$work/display" 2>/dev/null &
  xvfb_pid=$!
  for _ in $(seq 200); do  # Xvfb writes its display number once it takes clients
    [ -s "$work/display" ] && break
    sleep 0.1
  done
  display=$(head -n 1 "$work/display")
  if [ -z "$display" ]; then
    echo "FAIL: Xvfb did not start" >&2
    failures=$((failures + 1))
  else
    set +e
    DISPLAY=":$display" QT_QPA_PLATFORM=xcb "$app" --self-test >"$work/xcb.out" 2>&1
    rc=$?
    set -e
    cat "$work/xcb.out"
    [ "$rc" = 0 ] || { echo "FAIL: the self-test on X exited $rc" >&2; failures=$((failures + 1)); }
    expect "xcb" "$work/xcb.out" "^ok +Qt: .*xcb platform" "^ok +demo redemption" "^self-test PASSED"
  fi
  kill "$xvfb_pid" 2>/dev/null || true
  wait "$xvfb_pid" 2>/dev/null || true
else
  echo "== (Xvfb is not installed: the xcb check is skipped)"
fi

echo "== command line"
"$app" --version >"$work/version.out" 2>&1 || true
expect "version" "$work/version.out" "^budtender-app [0-9]+\.[0-9]+"
"$app" --help >"$work/help.out" 2>&1 || true
expect "help" "$work/help.out" "credentials" "redemptions" "simulator"

if [ "$failures" != 0 ]; then
  echo "Smoke test of $app: $failures failure(s)." >&2
  exit 1
fi
echo "Smoke test of $app: passed."
