#!/usr/bin/env bash
# Installs the unpacked build as the Budtender app, with its menu entry and icon.
#   sudo ./install-linux.sh   -> /opt/budtender-app, menu entry for every user of this till
#   ./install-linux.sh        -> ~/.local/opt/budtender-app, for this user only
# Run it again from a newer build to upgrade. Settings, the journal and the keyring entries live
# in the user's own folders and keyring, never here, so an upgrade keeps them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" = 0 ]; then
  prefix=${PREFIX:-/opt/budtender-app}
  share=/usr/share
else
  prefix=${PREFIX:-$HOME/.local/opt/budtender-app}
  share=$HOME/.local/share
fi
if [ "$here" != "$prefix" ]; then
  mkdir -p "$(dirname "$prefix")"
  rm -rf "$prefix.new"
  cp -a "$here" "$prefix.new"
  rm -rf "$prefix"
  mv "$prefix.new" "$prefix"
fi
mkdir -p "$share/applications" "$share/icons/hicolor/256x256/apps"
install -m 644 "$prefix/icon.png" "$share/icons/hicolor/256x256/apps/budtender-app.png"
# %u: a budtender://sale?... link a browser opens comes as the app's argument (issue 14's hand-off).
sed "s|^Exec=.*|Exec=$prefix/budtender-app %u|" "$prefix/budtender.desktop" >"$share/applications/budtender-app.desktop"
chmod 644 "$share/applications/budtender-app.desktop"
if command -v update-desktop-database >/dev/null; then update-desktop-database -q "$share/applications" || true; fi
# The entry's MimeType=x-scheme-handler/budtender makes it the handler of budtender:// links; for
# this user, say so outright (as root the system entry serves every user that has no other one).
if [ "$(id -u)" != 0 ] && command -v xdg-mime >/dev/null; then
  xdg-mime default budtender-app.desktop x-scheme-handler/budtender || true
fi
if command -v gtk-update-icon-cache >/dev/null; then gtk-update-icon-cache -q "$share/icons/hicolor" || true; fi
echo "Installed in $prefix: start Budtender from the menu, or run $prefix/budtender-app."
echo "Check this till: $prefix/budtender-app --self-test"
echo "budtender://sale?total=... links now open the running terminal (check: xdg-mime query default x-scheme-handler/budtender)."
