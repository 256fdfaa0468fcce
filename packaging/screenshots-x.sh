#!/usr/bin/env bash
# The till's scenes as the X server shows them: a fresh Xvfb, packaging/screenshots.py --driven, and ImageMagick's
# `import` of each real window (by its X id, as the display shows it). Needs Xvfb, ImageMagick and CJK fonts
# (/work/shared/tools/setup-gui.sh on a build machine).  Usage: packaging/screenshots-x.sh [OUT_DIR]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/docs/screenshots}
mkdir -p "$out"
py=${PYTHON:-$root/.venv/bin/python}
disp=:$((90 + RANDOM % 9))
work=$(mktemp -d)
Xvfb "$disp" -screen 0 1366x768x24 >/dev/null 2>&1 &
xpid=$!
trap 'kill "$xpid" 2>/dev/null; [ -n "${apid:-}" ] && kill "$apid" 2>/dev/null; rm -rf "$work"' EXIT
sleep 1
DISPLAY=$disp QT_QPA_PLATFORM=xcb "$py" "$root/packaging/screenshots.py" --driven "$work" >"$work/log" 2>&1 &
apid=$!
for scene in customer-window customer-window-cleared checkout refund-dialog; do
  for _ in $(seq 1800); do [ -f "$work/$scene.ready" ] && break; kill -0 "$apid" 2>/dev/null || { cat "$work/log"; exit 1; }; sleep 0.1; done
  [ -f "$work/$scene.ready" ] || { echo "scene $scene never came"; cat "$work/log"; exit 1; }
  sleep 0.5
  DISPLAY=$disp import -window "$(cat "$work/$scene.ready")" "$out/$scene.png"
  echo "$out/$scene.png"
  touch "$work/$scene.go"
done
wait "$apid"
