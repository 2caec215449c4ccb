#!/usr/bin/env bash
# Starts the local services the integration tests use, if they are down, and checks that the
# tests can log in. Fails at once, saying why and what to do, when a service cannot be used:
#   PostgreSQL on 127.0.0.1:5432, role postgres without a password (server and SQL tests)
#   MariaDB    on 127.0.0.1:3306, user root without a password (SQL processor tests)
set -euo pipefail

fail() {
  echo "ensure-services: $*" >&2
  exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }
systemd_running() { [ -d /run/systemd/system ]; }
# Wait up to 30 s for a check to pass.
wait_for() {
  for _ in $(seq 1 60); do "$@" && return 0; sleep 0.5; done
  return 1
}

# ---- PostgreSQL
pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
have pg_isready || fail "PostgreSQL is not installed: run scripts/install-system-deps.sh as root"
if ! pg_up; then
  [ "$(id -u)" -eq 0 ] || fail "PostgreSQL is not running on 127.0.0.1:5432: start it as root (pg_ctlcluster <version> main start)"
  cluster=$(pg_lsclusters -h 2>/dev/null | awk '$3 == 5432 { print $1 " " $2; exit }')
  [ -n "$cluster" ] || fail "no PostgreSQL cluster uses port 5432 (pg_lsclusters shows: $(pg_lsclusters -h | tr '\n' ';'))"
  read -r version name <<<"$cluster"
  echo "starting PostgreSQL $version/$name"
  if systemd_running; then
    systemctl start "postgresql@$version-$name" || fail "systemctl start postgresql@$version-$name failed: see journalctl -u postgresql@$version-$name"
  else
    pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start ||
      fail "PostgreSQL $version/$name did not start: $(tail -n 5 "/var/log/postgresql/postgresql-$version-$name.log" 2>/dev/null)"
  fi
  wait_for pg_up || fail "PostgreSQL $version/$name started but does not answer on 127.0.0.1:5432 within 30 s"
fi
if ! out=$(psql -h 127.0.0.1 -p 5432 -U postgres -w -Atc 'select 1' postgres 2>&1); then
  fail "PostgreSQL on 127.0.0.1:5432 refuses the postgres role without a password ($out). The tests log in as postgres and as roles they create, without passwords: they need 'host all all 127.0.0.1/32 trust' in pg_hba.conf (scripts/install-system-deps.sh sets it on a fresh install)"
fi
echo "PostgreSQL: up on 127.0.0.1:5432"

# ---- MariaDB
mariadb_client() { if have mariadb; then mariadb "$@"; else mysql "$@"; fi; }
mariadb_up() { mariadb-admin --protocol=tcp -h 127.0.0.1 -P 3306 ping >/dev/null 2>&1 || mysqladmin --protocol=tcp -h 127.0.0.1 -P 3306 ping >/dev/null 2>&1; }
have mariadb || have mysql || fail "MariaDB is not installed: run scripts/install-system-deps.sh as root"
if ! mariadb_up; then
  [ "$(id -u)" -eq 0 ] || fail "MariaDB is not running on 127.0.0.1:3306: start it as root (service mariadb start)"
  echo "starting MariaDB"
  if systemd_running; then
    systemctl start mariadb || fail "systemctl start mariadb failed: see journalctl -u mariadb"
  else
    /etc/init.d/mariadb start || fail "MariaDB did not start: $(tail -n 5 /var/log/mysql/error.log 2>/dev/null)"
  fi
  wait_for mariadb_up || fail "MariaDB started but does not answer on 127.0.0.1:3306 within 30 s"
fi
marker=/var/lib/spin-setup/mariadb-root-on-loopback
if [ -f "$marker" ]; then
  # Set up by scripts/install-system-deps.sh on a fresh install, where root logs in over the unix
  # socket only. A TCP login from 127.0.0.1 is matched as root@localhost (MariaDB resolves the
  # client's name) or root@127.0.0.1: both get an empty password, socket login stays as it was.
  mariadb_client -uroot -e "
    ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');
    CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
    GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;" ||
    fail "could not give MariaDB's root an empty password on loopback"
  echo "MariaDB: root may log in on 127.0.0.1 without a password"
fi
if ! out=$(mariadb_client --protocol=tcp -h 127.0.0.1 -P 3306 -uroot -e 'select 1' 2>&1); then
  fail "MariaDB on 127.0.0.1:3306 refuses root without a password ($out). The tests log in as root@127.0.0.1 with an empty password"
fi
rm -f "$marker"
echo "MariaDB: up on 127.0.0.1:3306"
