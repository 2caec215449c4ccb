#!/usr/bin/env bash
# Runs inside the fresh root (started by scripts/fresh-root/run.sh, which documents it):
#   inside.sh all            npm start until usable, the README's first run in Chromium, npm test
#   inside.sh again [FILES]  CI=true npm test -- FILES
set -euo pipefail
cd /root/spin
OPT=/opt/spin-fresh
LOGS=$OPT/logs
mkdir -p "$LOGS"
mode=$1
shift
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f s", b - a }'; }
record() { echo "$1: $2" | tee -a "$OPT/times.txt"; }

if [ "$mode" = all ]; then
  echo "== npm start (log: $LOGS/start.log)"
  t=$(now)
  setsid npm start >"$LOGS/start.log" 2>&1 &
  start_pid=$!
  # usable = the banner is printed and the web UI and the runtime answer (as measure-start.mjs)
  if ! node -e '
    const fs = require("node:fs");
    const ok = (u) => fetch(u).then((r) => r.ok, () => false);
    (async () => {
      for (;;) {
        const log = fs.readFileSync(process.argv[1], "utf8");
        if (log.includes("press Ctrl+C to stop") &&
            (await ok("http://127.0.0.1:8080/")) && (await ok("http://127.0.0.1:8888/healthz")))
          return;
        try { process.kill(Number(process.argv[2]), 0); } catch { process.exit(1); }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();' "$LOGS/start.log" "$start_pid"; then
    echo "npm start exited before it was usable:" >&2
    tail -n 40 "$LOGS/start.log" >&2
    exit 1
  fi
  record "first npm start, to usable" "$(secs "$t" "$(now)")"
  grep -E '^spin: ' "$LOGS/start.log" | sed 's/^/    /'
  record "EBADENGINE lines in npm start" "$(grep -c EBADENGINE "$LOGS/start.log" || true)"
  record "install-scripts warnings in npm start" "$(grep -c 'not yet covered by allowScripts' "$LOGS/start.log" || true)"

  echo "== Chromium for the browser check (the project's scripts/install-system-deps.sh chromium)"
  t=$(now)
  bash scripts/install-system-deps.sh chromium >"$LOGS/chromium.log" 2>&1 ||
    { tail -n 20 "$LOGS/chromium.log" >&2; exit 1; }
  record "apt-get install chromium" "$(secs "$t" "$(now)")"

  echo "== the README's first run in Chromium against this npm start"
  t=$(now)
  SPIN_E2E_URL=http://localhost:8080 node_modules/.bin/vitest run \
    packages/cli/test/e2e/readme.test.ts 2>&1 | tee "$LOGS/readme.log"
  record "README first run (print(6*7) -> 42) in Chromium" "$(secs "$t" "$(now)")"
  kill -INT -- "-$start_pid"
  wait "$start_pid" || true
  shift $#
fi

echo "== CI=true npm test $* (log: $LOGS/test.log)"
t=$(now)
set +e
if [ $# -gt 0 ]; then CI=true npm test -- "$@"; else CI=true npm test; fi 2>&1 | tee "$LOGS/test.log"
rc=${PIPESTATUS[0]}
set -e
record "CI=true npm test $* (exit $rc)" "$(secs "$t" "$(now)")"
grep -E '^ *(Test Files|Tests) ' "$LOGS/test.log" | tail -n 2 | sed 's/^/    /' || true
exit "$rc"
