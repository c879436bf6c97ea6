#!/usr/bin/env bash
# The deployment install, proven: build the wheel, install it without extras in a clean venv outside the
# checkout, and run every command a Procfile deployment runs from another directory, so templates,
# migrations and the sample chat are shown to ship inside the package and no dev-only import is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

had_build=$([ -e build ] && echo yes || true)
"$PYTHON" -m pip wheel -q --no-deps -w "$work/dist" . >/dev/null
[ -n "$had_build" ] || rm -rf build  # setuptools builds in the tree; leave it as it was
"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "$work"/dist/huddlebot-*.whl 2>&1 | grep -v "^WARNING: Location" || true
test -x "$work/venv/bin/huddlebot"
cd "$work"
sample="$("$work/venv/bin/python" -c 'from transcripts.samples import SEED_CHAT; print(SEED_CHAT)')"
case "$sample" in "$work"/venv/*) ;; *) echo "check_wheel: the sample chat was not found inside the installed package: $sample" >&2; exit 1 ;; esac
export DATABASE_URL="sqlite:///$work/wheel.db" HUDDLEBOT_OUTPUT_DIR="$work/out"
unset TEST_DATABASE_URL
run() { echo "check_wheel: huddlebot $*"; "$work/venv/bin/huddlebot" "$@"; }
run --help >/dev/null
"$work/venv/bin/python" -c 'import bot.web.app, bot.slack.install, bot.slack.socket_mode, bot.worker'
run db upgrade
run import "$sample"
run report --latest --out "$work/report" --cpd >/dev/null
test -s "$work/report/index.html"
run demo --speed 600 --out "$work/demo" --database "sqlite:///$work/demo.db" >/dev/null
test -s "$work/demo/index.html"
echo "check_wheel: the wheel installs without extras and every command ran from $work"
