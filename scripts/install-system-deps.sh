#!/usr/bin/env bash
# Installs the Debian packages SPIN's tests and local runtime need — or only the ones named as
# arguments (`npm start` passes the Python kernel's). Idempotent: installs only what is missing,
# after an `apt-get update`. Exits non-zero, naming the command to run, when it may not install.
#
#   python3-ipykernel       the Jupyter kernel the runtime drives over ZeroMQ
#   python3-pandas          CellResult.df in Python cells
#   python3-matplotlib      plots in Python cells
#   python3-nbformat        .ipynb validation in tests
#   python3-jupyter-server  the Jupyter Server baseline of the benchmarks
#   chromium                the browser the UI tests drive with playwright-core
#   bubblewrap              the runtime sandbox (SPIN_SANDBOX=bwrap)
#   prometheus              the Prometheus processor's tests
#   postgresql              server tests run against PostgreSQL as well as PGlite
#   mariadb-server          the SQL processor's MySQL tests
#   openssl                 certificates for the TLS and mutual-TLS tests
#
# A PostgreSQL or MariaDB installed here is set up the way the tests connect (loopback only):
# PostgreSQL trusts every role on 127.0.0.1/::1 (the tests log in as postgres and as roles they
# create without passwords), MariaDB lets root in on 127.0.0.1 without a password. Existing
# installations are left as they are, except that lines an earlier version of this script put
# in pg_hba.conf are brought up to date.
set -euo pipefail

packages=(
  python3-ipykernel
  python3-pandas
  python3-matplotlib
  python3-nbformat
  python3-jupyter-server
  chromium
  bubblewrap
  prometheus
  postgresql
  mariadb-server
  openssl
)
[ $# -gt 0 ] && packages=("$@")

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

SPIN_HBA='# SPIN tests (scripts/install-system-deps.sh)'
# Put this script's lines first in pg_hba.conf (read top-down, the first match wins), replacing
# the ones an earlier version wrote (the comment and the two lines after it); reload PostgreSQL.
spin_hba() {
  local hba=$1 version
  sed -i "/^${SPIN_HBA//\//\\/}/,+2d" "$hba"
  sed -i "1i ${SPIN_HBA}: every role over loopback, no password\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust" "$hba"
  version=$(basename "$(dirname "$(dirname "$hba")")")
  pg_ctlcluster "$version" main reload 2>/dev/null || true # picked up at start otherwise
  echo "PostgreSQL $version: trusts every role on loopback"
}
for hba in /etc/postgresql/*/main/pg_hba.conf; do
  [ -f "$hba" ] && grep -q "^$SPIN_HBA" "$hba" && ! grep -q '^host all all 127.0.0.1/32 trust' "$hba" && spin_hba "$hba"
done

missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "Debian packages: all ${#packages[@]} present"
  exit 0
fi

command="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "missing Debian packages: ${missing[*]}, and there is no apt-get here: install them with your package manager" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]} — install them as root: sudo sh -c '$command'" >&2
  exit 1
fi

echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

for p in "${missing[@]}"; do
  case "$p" in
    postgresql)
      for hba in /etc/postgresql/*/main/pg_hba.conf; do
        [ -f "$hba" ] && spin_hba "$hba"
      done
      ;;
    mariadb-server)
      # The root user for 127.0.0.1 needs a running server: scripts/ensure-services.sh creates it.
      install -d -m 0700 /var/lib/spin-setup
      touch /var/lib/spin-setup/mariadb-root-on-loopback
      ;;
  esac
done
