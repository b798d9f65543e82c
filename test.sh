#!/usr/bin/env bash
# Runs every Floodgate test. With --install (or on a machine that lacks them) it first installs
# the Debian packages the integration tests use: Postfix and its smtp-source/smtp-sink, swaks,
# Dovecot (SASL for Postfix), the Public Suffix List (the detector's link domains), Chromium (the console's
# browser test, driven by Playwright), dnsmasq (the DNS server of the blocklist tests), HAProxy (the load
# balancer in front of the gateway, PROXY protocol), PostgreSQL (a private server for the second pass:
# the projects that open a database, run again on PostgreSQL). --no-postgres skips that pass.
set -euo pipefail
cd "$(dirname "$0")"

args=()
postgres_pass=1
for a in "$@"; do
  case "$a" in
    --install) ;;
    --no-postgres) postgres_pass=0 ;;
    *) args+=("$a") ;;
  esac
done

# The projects whose tests open a database, run again with FLOODGATE_TEST_DB=postgresql.
# Measured on 2 cores: Storage 1.5 min, Web 6.5 min, Doors 15 s, EndToEnd about 17 min with other work
# on the machine (the SQLite pass of everything: about 20 min).
postgres_projects=(tests/Floodgate.Storage.Tests tests/Floodgate.Web.Tests tests/Floodgate.Doors.Tests tests/Floodgate.EndToEnd.Tests)

packages=(postfix swaks dovecot-core publicsuffix chromium dnsmasq-base haproxy postgresql redis-server)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: missing Debian packages: ${missing[*]}; run as root (or sudo) so they can be installed" >&2
    exit 1
  fi
  echo "test.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Tests run private instances; stop Debian from starting the system services during install.
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ "$created_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
fi

dotnet restore Floodgate.slnx --verbosity quiet
dotnet build Floodgate.slnx -c Release --no-restore --verbosity quiet -nologo

results=$(mktemp -d)
status=0
# A private PostgreSQL 15 (the system cluster stays down): initdb with trust auth on loopback, fsync off.
# Started before the SQLite pass: the facts about PostgreSQL alone (migrate, schema refusals) run there too.
pg_dir=/tmp/floodgate-test-pg
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
pg_started=0
as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi; }
stop_pg() { if [ "$pg_started" = 1 ]; then as_pg "$pg_bin/pg_ctl -D $pg_dir/data -m fast -w stop" >/dev/null 2>&1 || true; fi; }
trap stop_pg EXIT
if [ "$postgres_pass" = 1 ]; then
  if [ -z "$pg_bin" ]; then
    echo "test.sh: PostgreSQL is not installed (run with --install as root); the PostgreSQL pass cannot run" >&2
    status=1
  else
    # The first free port from 15432: a developer's own private server may hold 15432.
    pg_port=${FLOODGATE_TEST_PG_PORT:-15432}
    while (exec 3<>"/dev/tcp/127.0.0.1/$pg_port") 2>/dev/null; do pg_port=$((pg_port + 1)); done
    if [ -f "$pg_dir/data/postmaster.pid" ]; then as_pg "$pg_bin/pg_ctl -D $pg_dir/data -m immediate -w stop" >/dev/null 2>&1 || true; fi
    rm -rf "$pg_dir"; mkdir -p "$pg_dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$pg_dir"; fi
    as_pg "$pg_bin/initdb -D $pg_dir/data -U postgres -A trust" >"$pg_dir/initdb.log"
    as_pg "$pg_bin/pg_ctl -D $pg_dir/data -l $pg_dir/log -w -o \"-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300\" start" >/dev/null
    pg_started=1
    export FLOODGATE_TEST_PG="Host=127.0.0.1;Port=$pg_port;Username=postgres"
  fi
fi

# minimal: a failing test prints its message and stack (quiet would print only its name).
dotnet test Floodgate.slnx -c Release --no-build --verbosity minimal -nologo \
  --logger "trx" --results-directory "$results/sqlite" ${args[@]+"${args[@]}"} || status=$?

if [ "$pg_started" = 1 ]; then
  for project in "${postgres_projects[@]}"; do
    FLOODGATE_TEST_DB=postgresql dotnet test "$project" -c Release --no-build --verbosity minimal -nologo \
      --logger "trx" --results-directory "$results/postgresql" ${args[@]+"${args[@]}"} || status=$?
  done
fi

# One plain closing line for CI: sum the TRX counters of every test project (both passes).
passed=0; failed=0; skipped=0
for trx in "$results"/*/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters"); e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
rm -rf "$results"
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$passed" -eq 0 ]; then status=1; fi
exit "$status"
