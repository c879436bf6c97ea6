#!/usr/bin/env bash
# The test suite and the deployment-install check side by side: building and installing the wheel in a
# clean venv mostly waits on the package index, so together they take little longer than pytest alone.
# Both must pass. Most tests wait on a server, a subprocess or a browser rather
# than compute (the suite's CPU is under half its wall time on four workers), so six pytest workers
# overlap those waits on two cores (each test has its own database, port and folder): 7 min 44 s
# against 9 min 45 s with four, on the same loaded machine. PYTEST_WORKERS=0 runs them in this process.
set -uo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
log="$(mktemp)"
PYTHON="$VENV/bin/python" bash scripts/check_wheel.sh >"$log" 2>&1 &
wheel=$!
"$VENV/bin/python" -m pytest -n "${PYTEST_WORKERS:-6}" --durations=15 "$@"
tests=$?
wait "$wheel"
checked=$?
if [ "$checked" -ne 0 ]; then
  echo "scripts/check_wheel.sh failed:" >&2
  cat "$log" >&2
else
  grep '^check_wheel:' "$log"
fi
rm -f "$log"
[ "$tests" -eq 0 ] && [ "$checked" -eq 0 ]
