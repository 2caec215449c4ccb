#!/usr/bin/env bash
# Issue 6, acceptance 5: packages/cli/test/tokenRefresh.test.ts (2-second access tokens, a
# server that goes away for longer than a token lives) must pass every time on a loaded
# machine. Starts HOGS busy-loop node processes (default 2, one per core here), runs the test
# file RUNS times (default 20) with vitest, counts the passes and prints the load average seen
# at each run; the hogs are ended by their PIDs at the end, whatever happens.
#   scripts/stress/token-refresh-loop.sh [RUNS] [HOGS]
# The packages must be built first (scripts/setup/build.mjs, or one `npm start`/`npm test`).
# A failing run's output is kept in $LOGS/run-N.log (default /tmp/spin-token-refresh-loop).
set -uo pipefail

RUNS=${1:-20}
HOGS=${2:-2}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOGS=${LOGS:-/tmp/spin-token-refresh-loop}
TEST=packages/cli/test/tokenRefresh.test.ts
mkdir -p "$LOGS"
cd "$ROOT"

hogs=()
stop_hogs() { [ ${#hogs[@]} -gt 0 ] && kill "${hogs[@]}" 2>/dev/null; wait "${hogs[@]}" 2>/dev/null; }
trap stop_hogs EXIT
trap 'exit 130' INT TERM
for _ in $(seq 1 "$HOGS"); do
  node -e 'for (;;) {}' &
  hogs+=($!)
done
echo "CPU hogs: ${HOGS} busy-loop node processes (PIDs ${hogs[*]}) on $(nproc) cores"

passed=0
loads=()
t0=$(date +%s)
for i in $(seq 1 "$RUNS"); do
  start=$(date +%s)
  if node_modules/.bin/vitest run "$TEST" >"$LOGS/run-$i.log" 2>&1; then
    passed=$((passed + 1))
    result=passed
    rm -f "$LOGS/run-$i.log"
  else
    result="FAILED (output in $LOGS/run-$i.log)"
  fi
  load=$(cut -d' ' -f1 /proc/loadavg)
  loads+=("$load")
  echo "run $i/$RUNS: $result in $(($(date +%s) - start)) s, load average $load"
done
summary=$(printf '%s\n' "${loads[@]}" | sort -n | awk '{ a[NR] = $1; s += $1 }
  END { printf "load average min %s, mean %.2f, max %s", a[1], s / NR, a[NR] }')
echo "$passed/$RUNS passed in $(($(date +%s) - t0)) s beside $HOGS CPU hogs ($summary)"
[ "$passed" -eq "$RUNS" ]
