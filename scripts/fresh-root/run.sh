#!/usr/bin/env bash
# Proves "a fresh Debian 12 with only Node 20 and apt" (issue 6, acceptance 1) on this machine:
#   1. debootstrap --variant=minbase bookworm into ROOT (nothing else installed: no Python, no
#      PostgreSQL, no Chromium, no compiler)
#   2. Node 20 and npm copied in from this host's install (the NodeSource nodejs package's files:
#      /usr/bin/node, /usr/lib/node_modules/npm, /usr/include/node; npm as upgraded on the host)
#   3. a clean `git clone` of BRANCH into /root/spin
#   4. inside chroot + its own network namespace (only loopback, so its PostgreSQL, MariaDB and
#      ports 8080/8888/5432/3306 never meet the host's) + its own mount and PID namespaces, with
#      HOME=/root and a plain PATH:
#        `npm start` until the UI and the runtime answer, then the README's first run in the
#        chroot's own Chromium (packages/cli/test/e2e/readme.test.ts against that npm start),
#        then `CI=true npm test` as root.
# and prints each phase's wall time. Run as root on the host:
#   scripts/fresh-root/run.sh                    everything, from a new debootstrap
#   scripts/fresh-root/run.sh --again [FILES…]   reuse ROOT (its installed packages,
#       node_modules and build), move its clone to BRANCH's newest commit, and run
#       `CI=true npm test -- FILES…` only
# Environment: ROOT (default /var/tmp/spin-fresh), BRANCH (default: the current branch).
#
# What differs from a fresh machine (this host has no internet but two mirrors):
#   - apt and npm go through scripts/fresh-root/proxy.mjs (a forward proxy allowing only
#     deb.debian.org and registry.npmjs.org), configured in /etc/apt/apt.conf.d and
#     /usr/etc/npmrc, as behind a company proxy; the tests see no proxy variable. The host's
#     egress intercepts TLS, so npm's cafile is the host's CA bundle (which holds that CA).
#   - GitHub is unreachable, so better-sqlite3's prebuilt binary (which prebuild-install would
#     download from its GitHub release) is put in prebuild-install's cache (/root/.npm/_prebuilds)
#     from this host's build of the same version. Nothing else of the host's npm cache is used.
set -euo pipefail

ROOT=${ROOT:-/var/tmp/spin-fresh}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(git -C "$HERE" rev-parse --show-toplevel)
BRANCH=${BRANCH:-$(git -C "$REPO" rev-parse --abbrev-ref HEAD)}
MIRROR=http://deb.debian.org/debian
OPT=$ROOT/opt/spin-fresh # the harness's files inside the root (not part of the clone)
mode=all
if [ "${1:-}" = "--again" ]; then
  mode=again
  shift
fi

[ "$(id -u)" -eq 0 ] || { echo "run.sh: run as root (debootstrap, chroot, namespaces)" >&2; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f s", b - a }'; }
record() { echo "$1: $2" | tee -a "$OPT/times.txt"; }

if [ "$mode" = all ]; then
  if findmnt -rn -o TARGET | grep -q "^$ROOT/"; then
    echo "run.sh: something is still mounted under $ROOT: unmount it first" >&2
    exit 1
  fi
  command -v debootstrap >/dev/null || apt-get install -y -q debootstrap
  rm -rf "$ROOT"
  t=$(now)
  echo "== debootstrap --variant=minbase bookworm $ROOT"
  debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >/tmp/spin-fresh-debootstrap.log 2>&1 ||
    { tail -n 20 /tmp/spin-fresh-debootstrap.log; exit 1; }
  mkdir -p "$OPT/logs"
  record debootstrap "$(secs "$t" "$(now)")"

  echo "== Node $(node -v) and npm $(npm -v) from the host"
  cp -a /usr/bin/node "$ROOT/usr/bin/node"
  mkdir -p "$ROOT/usr/lib/node_modules" "$ROOT/usr/include" "$ROOT/usr/etc"
  cp -a /usr/lib/node_modules/npm "$ROOT/usr/lib/node_modules/"
  [ -d /usr/include/node ] && cp -a /usr/include/node "$ROOT/usr/include/"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOT/usr/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOT/usr/bin/npx"

  echo "== proxy settings for apt and npm, hosts, better-sqlite3's prebuilt binary"
  echo 'Acquire::http::Proxy "http://127.0.0.1:3128";' >"$ROOT/etc/apt/apt.conf.d/99spin-fresh-proxy"
  # This host's egress re-signs TLS with its own CA (in the host's CA bundle): npm trusts that
  # bundle through its cafile setting, the way a machine behind an intercepting proxy must.
  cp /etc/ssl/certs/ca-certificates.crt "$OPT/egress-ca-bundle.crt"
  printf 'proxy=http://127.0.0.1:3128\nhttps-proxy=http://127.0.0.1:3128\ncafile=/opt/spin-fresh/egress-ca-bundle.crt\n' \
    >"$ROOT/usr/etc/npmrc"
  # as a Debian 12 installer writes it (debootstrap alone leaves out security and updates)
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s-security bookworm-security main\n' \
    "$MIRROR" "$MIRROR" "$MIRROR" >"$ROOT/etc/apt/sources.list"
  printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"$ROOT/etc/hosts"
  bs=$REPO/node_modules/better-sqlite3
  if [ -f "$bs/build/Release/better_sqlite3.node" ]; then
    v=$(node -p "require('$bs/package.json').version")
    abi=$(node -p process.versions.modules)
    name=better-sqlite3-v$v-node-v$abi-linux-x64.tar.gz
    url=https://github.com/WiseLibs/better-sqlite3/releases/download/v$v/$name
    digest=$(node -p "require('crypto').createHash('sha512').update('$url').digest('hex').slice(0,6)")
    mkdir -p "$ROOT/root/.npm/_prebuilds"
    tar -C "$bs" -czf "$ROOT/root/.npm/_prebuilds/$digest-${name//[^a-zA-Z0-9.]/-}" build/Release/better_sqlite3.node
  fi
fi

if [ "$mode" = again ]; then
  # the same clone moved to the branch's newest commit: node_modules, dist and the build stamps
  # stay, so only what changed is installed or built again
  echo "== the root's clone moved to $BRANCH ($(git -C "$REPO" rev-parse --short "$BRANCH"))"
  git -C "$ROOT/root/spin" fetch -q origin "$BRANCH"
  git -C "$ROOT/root/spin" reset -q --hard FETCH_HEAD
else
  echo "== clean clone of $BRANCH ($(git -C "$REPO" rev-parse --short "$BRANCH"))"
  git clone -q --no-hardlinks --branch "$BRANCH" "$REPO" "$ROOT/root/spin"
fi
cp "$HERE/proxy.mjs" "$HERE/inside.sh" "$OPT/"

: >"$OPT/proxy.log"
node "$HERE/proxy.mjs" serve "$OPT/proxy.sock" "$OPT/proxy.log" deb.debian.org registry.npmjs.org &
proxy_pid=$!
trap 'kill "$proxy_pid" 2>/dev/null || true' EXIT

# A private mount namespace (the mounts vanish with it), a PID namespace (every service the
# tests start ends with it) and a network namespace with only loopback.
set +e
unshare --net --mount --pid --fork --kill-child -- bash -euo pipefail -c '
  R=$1; shift
  mount --make-rprivate /
  mount --bind "$R" "$R"            # the new root is a mount point (bubblewrap pivots into it)
  mount -t proc proc "$R/proc"
  mount -t sysfs sysfs "$R/sys"
  mount --rbind /dev "$R/dev"
  mount -t tmpfs -o mode=1777 tmpfs "$R/dev/shm"
  ip link set lo up
  chroot "$R" /usr/bin/env -i /usr/bin/node /opt/spin-fresh/proxy.mjs relay 3128 /opt/spin-fresh/proxy.sock &
  exec chroot "$R" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash /opt/spin-fresh/inside.sh "$@"
' fresh-root "$ROOT" "$mode" "$@"
rc=$?
set -e
echo "== phase times (also in $OPT/times.txt; logs in $OPT/logs)"
cat "$OPT/times.txt"
echo "== hosts the root asked the proxy for"
awk '{ print $2, $3, $4 }' "$OPT/proxy.log" | sed -E 's#(/[^/ ]*)/.*#\1/…#' | sort | uniq -c
exit $rc
