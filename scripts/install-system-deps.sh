#!/usr/bin/env bash
# Installs the Debian packages SPIN's tests and local runtime need (see docs/operations.md):
#   python3-ipykernel  the Jupyter kernel the runtime drives over ZeroMQ
#   chromium           the browser the UI tests drive with playwright-core
#   bubblewrap         the runtime sandbox (SPIN_SANDBOX=bwrap)
# Idempotent: does nothing when everything is present.
set -euo pipefail

need=()
[ -f /usr/share/jupyter/kernels/python3/kernel.json ] && /usr/bin/python3 -c 'import ipykernel' 2>/dev/null || need+=(python3-ipykernel)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)

if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${need[*]} — run as root: apt-get update && apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "installing Debian packages: ${need[*]}"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
