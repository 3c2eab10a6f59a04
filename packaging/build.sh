#!/usr/bin/env bash
# Builds the one-folder app that stores install: dist/budtender-app/ (PyInstaller, packaging/budtender.spec).
#   bash packaging/build.sh
# Then: bash packaging/smoke_test.sh (runs the built app's --self-test). Build on the oldest OS you
# support: the build runs where its glibc (Linux) or OS version (macOS) is at least the builder's.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [ ! -d .venv ]; then
  "$python" -m venv .venv
fi
bin=.venv/bin
[ -d .venv/Scripts ] && bin=.venv/Scripts  # Windows (Git Bash)
"$bin/python" -m pip install -q --upgrade pip
"$bin/python" -m pip install -q -e '.[package]'
if [ ! -f budtender_app/resources/icon.png ]; then
  QT_QPA_PLATFORM=offscreen "$bin/python" packaging/make_icon.py
fi

start=$(date +%s)
"$bin/python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/budtender.spec
echo "Built dist/budtender-app in $(($(date +%s) - start)) s ($(du -sh dist/budtender-app | cut -f1))."
