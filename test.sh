#!/usr/bin/env bash
# Runs every Floodgate test. With --install (or on a machine that lacks them) it first installs
# the Debian packages the integration tests use: Postfix and its smtp-source/smtp-sink, swaks,
# Dovecot (SASL for Postfix), the Public Suffix List (the detector's link domains), Chromium (the console's
# browser test, driven by Playwright), dnsmasq (the DNS server of the blocklist tests), HAProxy (the load
# balancer in front of the gateway, PROXY protocol).
set -euo pipefail
cd "$(dirname "$0")"

args=()
for a in "$@"; do
  [ "$a" = "--install" ] || args+=("$a")
done

packages=(postfix swaks dovecot-core publicsuffix chromium dnsmasq-base haproxy)
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
# minimal: a failing test prints its message and stack (quiet would print only its name).
dotnet test Floodgate.slnx -c Release --no-build --verbosity minimal -nologo \
  --logger "trx" --results-directory "$results" ${args[@]+"${args[@]}"} || status=$?

# One plain closing line for CI: sum the TRX counters of every test project.
passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
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
